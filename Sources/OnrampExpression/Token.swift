/// A lexical token of a JSONata expression.
struct Token {
    enum Kind { case op, name, variable, string, number, value, regex, end }
    var kind: Kind
    var text: String = ""
    var number: Double = 0
    var regexFlags: String = ""
    /// Offset just past the token, in UTF-16 code units (as the reference implementation counts).
    var position: Int

    /// The Pratt parser's symbol id.
    var id: String {
        switch kind {
        case .op: return text
        case .name, .variable: return "(name)"
        case .string, .number, .value: return "(literal)"
        case .regex: return "(regex)"
        case .end: return "(end)"
        }
    }
}
