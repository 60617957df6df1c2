import Foundation

/// A node of a compiled expression tree. Every field is a constant: a compiled `JSONata` is shared
/// by evaluations on many tasks.
final class Node: @unchecked Sendable {
    enum Kind: String {
        case path, binary, unary, name, string, number, value, wildcard, descendant, parent
        case condition, block, bind, regex, function, partial, variable, lambda, apply, transform
        case sort, filter, index, op = "operator", placeholder
    }

    /// A parent-operator (`%`) binding slot, shared between the `%` and the step that provides it.
    final class Slot: @unchecked Sendable {
        var label: String
        var level: Int
        let index: Int
        init(label: String, level: Int, index: Int) { self.label = label; self.level = level; self.index = index }
    }

    struct SortTerm { let descending: Bool; let expression: Node }

    let kind: Kind
    let position: Int
    /// Operator, name, variable name or string literal text.
    let text: String
    let number: Double

    let lhs: Node?
    let rhs: Node?
    let expression: Node?
    let expressions: [Node]
    let pairs: [(Node, Node)]
    let steps: [Node]
    let stages: [Node]?
    let predicate: [Node]?
    let groupPairs: [(Node, Node)]?
    let groupPosition: Int
    let arguments: [Node]
    let procedure: Node?
    let body: Node?
    let signature: Signature?
    let condition: Node?
    let then: Node?
    let otherwise: Node?
    let pattern: Node?
    let update: Node?
    let delete: Node?
    let terms: [SortTerm]
    let regex: NSRegularExpression?

    let keepArray: Bool
    let keepSingletonArray: Bool
    let consarray: Bool
    let tuple: Bool
    let thunk: Bool
    let focus: String?
    let indexVariable: String?
    let ancestor: Slot?
    let slot: Slot?

    /// A path of one plain field name with nothing attached: the evaluator reads the field directly.
    let isFieldLookup: Bool
    /// For a field lookup, the field's name.
    let fieldKey: String
    /// A string, number or value literal with nothing attached: its value is `literal`.
    let isPlainLiteral: Bool
    /// A binary node's operator, resolved once from its text.
    enum BinaryOperator {
        case none, add, subtract, multiply, divide, modulo, less, lessOrEqual, greater, greaterOrEqual
        case and, or, equal, notEqual, concat, range, `in`
        var isArithmetic: Bool { switch self { case .add, .subtract, .multiply, .divide, .modulo: return true; default: return false } }
        var isComparison: Bool { switch self { case .less, .lessOrEqual, .greater, .greaterOrEqual: return true; default: return false } }
    }
    let binaryOperator: BinaryOperator
    private static let binaryOperators: [String: BinaryOperator] = [
        "+": .add, "-": .subtract, "*": .multiply, "/": .divide, "%": .modulo,
        "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
        "and": .and, "or": .or, "=": .equal, "!=": .notEqual, "&": .concat, "..": .range, "in": .in,
    ]
    /// For string, number and value (true/false/null) nodes, their value.
    let literal: JValue
    /// For a block: whether anything inside may bind a variable, so that it needs a scope of its own.
    let bindsVariables: Bool
    /// The keys of `pairs` / `groupPairs` when they are distinct string literals (no evaluation needed).
    let constantPairKeys: [String]?
    let constantGroupKeys: [String]?
    /// A field-name step with nothing attached: evaluating it is a field lookup.
    let isPlainName: Bool
    /// A path whose steps map item by item, with no tuple stream, sort, focus, leading array
    /// constructor, kept singleton or grouping: the evaluator runs it in a plain loop.
    let isSimplePath: Bool
    /// Whether a predicate or (outside paths) a grouping follows the node's own evaluation.
    let hasTrailers: Bool
    /// For a variable, what the function library binds to its name (`undefined`: nothing).
    let libraryValue: JValue

    /// The finished tree of `root`; a node shared in the parse tree stays shared.
    static func make(_ root: ParseNode) -> Node {
        var made: [ObjectIdentifier: Node] = [:]
        return make(root, &made)
    }

    private static func make(_ p: ParseNode, _ made: inout [ObjectIdentifier: Node]) -> Node {
        if let n = made[ObjectIdentifier(p)] { return n }
        let n = Node(p, &made)
        made[ObjectIdentifier(p)] = n
        return n
    }

    private init(_ p: ParseNode, _ made: inout [ObjectIdentifier: Node]) {
        func one(_ c: ParseNode?) -> Node? { c.map { Node.make($0, &made) } }
        func all(_ cs: [ParseNode]) -> [Node] { cs.map { Node.make($0, &made) } }
        func pairs(_ ps: [(ParseNode, ParseNode)]) -> [(Node, Node)] { ps.map { (Node.make($0.0, &made), Node.make($0.1, &made)) } }
        kind = p.kind
        position = p.position
        text = p.text
        number = p.number
        lhs = one(p.lhs)
        rhs = one(p.rhs)
        expression = one(p.expression)
        expressions = all(p.expressions)
        self.pairs = pairs(p.pairs)
        steps = all(p.steps)
        stages = p.stages.map(all)
        predicate = p.predicate.map(all)
        groupPairs = p.groupPairs.map(pairs)
        groupPosition = p.groupPosition
        arguments = all(p.arguments)
        procedure = one(p.procedure)
        body = one(p.body)
        signature = p.signature
        condition = one(p.condition)
        then = one(p.then)
        otherwise = one(p.otherwise)
        pattern = one(p.pattern)
        update = one(p.update)
        delete = one(p.delete)
        terms = p.terms.map { SortTerm(descending: $0.descending, expression: Node.make($0.expression, &made)) }
        regex = p.regex
        keepArray = p.keepArray
        keepSingletonArray = p.keepSingletonArray
        consarray = p.consarray
        tuple = p.tuple
        thunk = p.thunk
        focus = p.focus
        indexVariable = p.indexVariable
        ancestor = p.ancestor
        slot = p.slot
        func plainName(_ s: ParseNode) -> Bool {
            s.kind == .name && s.stages == nil && s.predicate == nil && s.groupPairs == nil && !s.keepArray
                && !s.tuple && s.focus == nil && !s.consarray && s.indexVariable == nil && s.ancestor == nil
        }
        func constantKeys(_ ps: [(ParseNode, ParseNode)]?) -> [String]? {
            guard let ps, !ps.isEmpty, ps.allSatisfy({ $0.0.kind == .string && $0.0.predicate == nil && $0.0.stages == nil && $0.0.groupPairs == nil && !$0.0.keepArray }) else { return nil }
            let keys = ps.map(\.0.text)
            return Set(keys).count == keys.count ? keys : nil
        }
        bindsVariables = p.kind == .block && Node.containsBind(p)
        literal = Node.literal(p.kind, p.text, p.number)
        binaryOperator = p.kind == .binary ? Node.binaryOperators[p.text] ?? .none : .none
        constantPairKeys = constantKeys(p.pairs)
        constantGroupKeys = constantKeys(p.groupPairs)
        isPlainName = plainName(p)
        isSimplePath = p.kind == .path && !p.keepArray && !p.keepSingletonArray && p.groupPairs == nil && !p.tuple
            && p.steps.enumerated().allSatisfy { i, s in
                !s.tuple && s.focus == nil && s.kind != .sort && !(i == 0 && s.consarray) && s.indexVariable == nil && s.ancestor == nil
            }
        hasTrailers = p.predicate != nil || (p.kind != .path && p.groupPairs != nil)
        isFieldLookup = p.kind == .path && p.steps.count == 1 && p.predicate == nil && p.groupPairs == nil && p.stages == nil
            && !p.keepArray && !p.keepSingletonArray && !p.tuple && plainName(p.steps[0])
        fieldKey = isFieldLookup ? p.steps[0].text : ""
        isPlainLiteral = (p.kind == .string || p.kind == .number || p.kind == .value) && !hasTrailers && !p.keepArray
        libraryValue = p.kind == .variable ? FunctionLibrary.functions[p.text].map { .function($0) } ?? .undefined : .undefined
    }

    /// Whether `p` or anything under it may bind a name in the current scope: `:=`, `%`/tuple
    /// machinery, or any call (a function such as `$eval` binds into its caller's scope).
    private static func containsBind(_ p: ParseNode) -> Bool {
        var seen: Set<ObjectIdentifier> = []
        return containsBind(p, &seen)
    }

    /// `seen`: nodes already walked (and found without a binding). Trees share nodes (`a ?: b` holds `a` twice), so a
    /// walk that did not remember them would take 2^depth steps.
    private static func containsBind(_ p: ParseNode, _ seen: inout Set<ObjectIdentifier>) -> Bool {
        guard seen.insert(ObjectIdentifier(p)).inserted else { return false }
        switch p.kind {
        case .bind, .parent, .function, .partial, .apply, .transform, .lambda: return true
        default: break
        }
        if p.tuple || p.focus != nil || p.indexVariable != nil || p.ancestor != nil { return true }
        let children = [p.lhs, p.rhs, p.expression, p.procedure, p.body, p.condition, p.then, p.otherwise, p.pattern, p.update, p.delete]
            .compactMap { $0 } + p.expressions + p.steps + p.arguments + (p.stages ?? []) + (p.predicate ?? [])
            + p.pairs.flatMap { [$0.0, $0.1] } + (p.groupPairs ?? []).flatMap { [$0.0, $0.1] } + p.terms.map(\.expression)
        for child in children where containsBind(child, &seen) { return true }
        return false
    }

    /// The literal's value for string, number and value (true/false/null) nodes.
    static func literal(_ kind: Kind, _ text: String, _ number: Double) -> JValue {
        switch kind {
        case .string: return .string(text)
        case .number: return .number(number)
        case .value: return text == "true" ? .bool(true) : text == "false" ? .bool(false) : .null
        default: return .undefined
        }
    }
}
