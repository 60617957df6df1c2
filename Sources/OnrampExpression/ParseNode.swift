import Foundation

/// A node of the expression tree while the parser and the AST processor build and rewrite it.
/// The finished tree becomes an immutable `Node` tree for the evaluator.
final class ParseNode {
    typealias Kind = Node.Kind
    typealias Slot = Node.Slot

    struct SortTerm { var descending: Bool; var expression: ParseNode }

    var kind: Kind
    var position: Int
    /// Operator, name, variable name or string literal text.
    var text: String = ""
    var number: Double = 0

    var lhs: ParseNode?
    var rhs: ParseNode?
    var expression: ParseNode?
    var expressions: [ParseNode] = []
    var pairs: [(ParseNode, ParseNode)] = []
    var steps: [ParseNode] = []
    var stages: [ParseNode]?
    var predicate: [ParseNode]?
    var groupPairs: [(ParseNode, ParseNode)]?
    var groupPosition = 0
    var arguments: [ParseNode] = []
    var procedure: ParseNode?
    var body: ParseNode?
    var signature: Signature?
    var condition: ParseNode?
    var then: ParseNode?
    var otherwise: ParseNode?
    var pattern: ParseNode?
    var update: ParseNode?
    var delete: ParseNode?
    var terms: [SortTerm] = []
    var regex: NSRegularExpression?

    /// Levels of nodes from this one down to its deepest leaf, as the parser built it.
    var height = 1
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

    var literal: JValue { Node.literal(kind, text, number) }
}
