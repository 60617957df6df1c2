import Foundation

/// A node of the compiled expression tree. Mutable only while the parser builds it; a compiled
/// `JSONata` never changes its tree again, which is what makes it safe to share across tasks.
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

    struct SortTerm { var descending: Bool; var expression: Node }

    var kind: Kind
    var position: Int
    /// Operator, name, variable name or string literal text.
    var text: String = ""
    var number: Double = 0

    var lhs: Node?
    var rhs: Node?
    var expression: Node?
    var expressions: [Node] = []
    var pairs: [(Node, Node)] = []
    var steps: [Node] = []
    var stages: [Node]?
    var predicate: [Node]?
    var groupPairs: [(Node, Node)]?
    var groupPosition = 0
    var arguments: [Node] = []
    var procedure: Node?
    var body: Node?
    var signature: Signature?
    var condition: Node?
    var then: Node?
    var otherwise: Node?
    var pattern: Node?
    var update: Node?
    var delete: Node?
    var terms: [SortTerm] = []
    var regex: NSRegularExpression?

    var keepArray = false
    var keepSingletonArray = false
    var consarray = false
    var tuple = false
    var thunk = false
    var focus: String?
    var indexVariable: String?
    var ancestor: Slot?
    var slot: Slot?
    var seekingParent: [Slot]?

    /// A path of one plain field name with nothing attached (set once the tree is final).
    var isFieldLookup = false
    /// For a variable, what the function library binds to its name (`undefined`: nothing).
    var libraryValue: JValue = .undefined

    /// Marks the shapes the evaluator has fast paths for, throughout the finished tree.
    func prepare() {
        if kind == .path, steps.count == 1, predicate == nil, groupPairs == nil, stages == nil, !keepArray, !keepSingletonArray, !tuple {
            let s = steps[0]
            isFieldLookup = s.kind == .name && s.stages == nil && s.predicate == nil && s.groupPairs == nil && !s.keepArray
                && !s.tuple && s.focus == nil && !s.consarray && s.indexVariable == nil && s.ancestor == nil
        }
        if kind == .variable, let f = FunctionLibrary.functions[text] { libraryValue = .function(f) }
        for n in [lhs, rhs, expression, procedure, body, condition, then, otherwise, pattern, update, delete] { n?.prepare() }
        for n in expressions + steps + arguments + (stages ?? []) + (predicate ?? []) { n.prepare() }
        for (k, v) in pairs + (groupPairs ?? []) { k.prepare(); v.prepare() }
        for t in terms { t.expression.prepare() }
    }

    init(_ kind: Kind, position: Int, text: String = "") {
        self.kind = kind
        self.position = position
        self.text = text
    }

    convenience init(token: Token) {
        switch token.kind {
        case .op: self.init(.op, position: token.position, text: token.text)
        case .name: self.init(.name, position: token.position, text: token.text)
        case .variable: self.init(.variable, position: token.position, text: token.text)
        case .string: self.init(.string, position: token.position, text: token.text)
        case .number:
            self.init(.number, position: token.position, text: token.text)
            number = token.number
        case .value: self.init(.value, position: token.position, text: token.text)
        case .regex: self.init(.regex, position: token.position, text: token.text)
        case .end: self.init(.op, position: token.position, text: "(end)")
        }
    }

    /// The literal's value for string, number and value (true/false/null) nodes.
    var literal: JValue {
        switch kind {
        case .string: return .string(text)
        case .number: return .number(number)
        case .value: return text == "true" ? .bool(true) : text == "false" ? .bool(false) : .null
        default: return .undefined
        }
    }
}
