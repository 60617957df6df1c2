import Foundation

/// A Pratt parser for JSONata, producing the raw tree that `Parser+Process` then rewrites into
/// paths, stages and tuple steps (as the reference implementation's `processAST` does).
struct Parser {
    private var lexer: Lexer
    private var token: Token
    let source: String
    /// How many `expression` calls are open: bounded so that deep nesting is an error, not a stack overflow.
    private var depth = 0
    /// The stack may not grow below this address either (a call's frames are larger than a parenthesis's).
    private var stackFloor: UInt = 0

    /// Left binding power of every operator symbol; separators and closers bind nothing (0).
    static let bindingPower: [String: Int] = [
        ".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0, "@": 80, "#": 80, ";": 0,
        ":": 0, "?": 20, "+": 50, "-": 50, "*": 60, "/": 60, "%": 60, "|": 0, "=": 40, "<": 40, ">": 40,
        "^": 40, "**": 60, "..": 0, ":=": 10, "!=": 40, "<=": 40, ">=": 40, "~>": 40, "?:": 40, "??": 40,
        "and": 30, "or": 25, "in": 40, "&": 50,
    ]

    /// Parses and rewrites `source`. `stackFloor` is the lowest stack address the recursion may reach
    /// (default: the evaluation stack budget below the caller's frame); `$eval` passes its evaluation's.
    static func parse(_ source: String, stackFloor: UInt? = nil) throws(JSONataError) -> Node {
        var p = try Parser(source)
        let budget = UInt(JSONata.Limits.defaultStackBytes)
        let here = Evaluator.stackAddress()
        p.stackFloor = stackFloor ?? (here > budget ? here - budget : 0)
        let raw = try p.expression(0)
        if p.token.kind != .end {
            throw JSONataError("S0201", position: p.token.position, token: p.token.text)
        }
        var processor = ASTProcessor(stackFloor: p.stackFloor)
        let ast = try processor.process(raw)
        if ast.kind == .parent || ast.seekingParent != nil {
            throw JSONataError("S0217", position: ast.position, token: ast.kind.rawValue)
        }
        return Node.make(ast)
    }

    private init(_ source: String) throws(JSONataError) {
        self.source = source
        lexer = Lexer(source)
        token = Token(kind: .end, position: 0)
        token = try lexer.next(infix: false)
    }

    private var lbp: Int {
        switch token.kind {
        case .op: return Parser.bindingPower[token.text] ?? 0
        default: return 0
        }
    }

    private mutating func advance(_ id: String? = nil, infix: Bool = false) throws(JSONataError) {
        if let id, token.id != id {
            if token.kind == .end {
                throw JSONataError("S0203", position: token.position, token: token.text, value: .string(id))
            }
            throw JSONataError("S0202", position: token.position, token: token.text, value: .string(id))
        }
        let next = try lexer.next(infix: infix)
        if next.kind == .op, Parser.bindingPower[next.text] == nil {
            throw JSONataError("S0204", position: next.position, token: next.text)
        }
        token = next
    }

    mutating func expression(_ rbp: Int) throws(JSONataError) -> ParseNode {
        depth += 1
        defer { depth -= 1 }
        if depth > SizeLimits.maxNesting || Evaluator.stackAddress() < stackFloor {
            throw Parser.tooDeep(at: token.position)
        }
        var t = token
        try advance(nil, infix: true)
        var left = try measured(nud(t))
        while rbp < lbp {
            t = token
            try advance()
            left = try measured(led(t, left))
        }
        return left
    }

    /// The node, once its height (1 + its tallest child's) is within the nesting limit; a long
    /// operator chain (`1+1+1…`) is as tall as it is long, though it is parsed without recursion.
    private func measured(_ node: ParseNode) throws(JSONataError) -> ParseNode {
        var tallest = 0
        func see(_ c: ParseNode?) { if let c, c.height > tallest { tallest = c.height } }
        see(node.lhs); see(node.rhs); see(node.expression); see(node.procedure); see(node.body)
        see(node.condition); see(node.then); see(node.otherwise); see(node.pattern); see(node.update); see(node.delete)
        for c in node.expressions { see(c) }
        for c in node.arguments { see(c) }
        for (k, v) in node.pairs { see(k); see(v) }
        for term in node.terms { see(term.expression) }
        node.height = tallest + 1
        if node.height > SizeLimits.maxNesting { throw Parser.tooDeep(at: node.position) }
        return node
    }

    static func tooDeep(at position: Int) -> JSONataError {
        JSONataError("S0901", position: position, extra: ["limit": String(SizeLimits.maxNesting)])
    }

    private mutating func nud(_ t: Token) throws(JSONataError) -> ParseNode {
        switch t.kind {
        case .name, .variable, .string, .number, .value: return ParseNode(token: t)
        case .regex:
            let node = ParseNode(token: t)
            var options: NSRegularExpression.Options = []
            if t.regexFlags.contains("i") { options.insert(.caseInsensitive) }
            if t.regexFlags.contains("m") { options.insert(.anchorsMatchLines) }
            do {
                node.regex = try NSRegularExpression(pattern: t.text, options: options)
            } catch {
                throw JSONataError("S0302", position: t.position, token: t.text)
            }
            return node
        case .end:
            throw JSONataError("S0207", position: t.position, token: "(end)")
        case .op:
            break
        }
        let node = ParseNode(.op, position: t.position, text: t.text)
        switch t.text {
        case "and", "or", "in", "?":
            return node
        case "-":
            node.kind = .unary
            node.expression = try expression(70)
            return node
        case "*": node.kind = .wildcard; return node
        case "**": node.kind = .descendant; return node
        case "%": node.kind = .parent; return node
        case "(":
            var exprs: [ParseNode] = []
            while token.id != ")" {
                exprs.append(try expression(0))
                if token.id != ";" { break }
                try advance(";")
            }
            try advance(")", infix: true)
            node.kind = .block
            node.expressions = exprs
            return node
        case "[":
            var items: [ParseNode] = []
            if token.id != "]" {
                while true {
                    var item = try expression(0)
                    if token.id == ".." {
                        let range = ParseNode(.binary, position: token.position, text: "..")
                        range.lhs = item
                        try advance("..")
                        range.rhs = try expression(0)
                        item = try measured(range)
                    }
                    items.append(item)
                    if token.id != "," { break }
                    try advance(",")
                }
            }
            try advance("]", infix: true)
            node.kind = .unary
            node.expressions = items
            return node
        case "{":
            node.kind = .unary
            node.pairs = try objectPairs()
            return node
        case "|":
            node.kind = .transform
            node.pattern = try expression(0)
            try advance("|")
            node.update = try expression(0)
            if token.id == "," {
                try advance(",")
                node.delete = try expression(0)
            }
            try advance("|")
            return node
        default:
            throw JSONataError("S0211", position: t.position, token: t.text)
        }
    }

    private mutating func objectPairs() throws(JSONataError) -> [(ParseNode, ParseNode)] {
        var pairs: [(ParseNode, ParseNode)] = []
        if token.id != "}" {
            while true {
                let k = try expression(0)
                try advance(":")
                let v = try expression(0)
                pairs.append((k, v))
                if token.id != "," { break }
                try advance(",")
            }
        }
        try advance("}", infix: true)
        return pairs
    }

    private mutating func led(_ t: Token, _ left: ParseNode) throws(JSONataError) -> ParseNode {
        let op = t.text
        let node = ParseNode(.binary, position: t.position, text: op)
        let bp = Parser.bindingPower[op] ?? 0
        switch op {
        case ".", "+", "-", "*", "/", "%", "=", "<", ">", "!=", "<=", ">=", "&", "and", "or", "in", "~>":
            node.lhs = left
            node.rhs = try expression(bp)
            return node
        case "(":
            node.procedure = left
            node.kind = .function
            if token.id != ")" {
                while true {
                    if token.kind == .op && token.text == "?" {
                        node.kind = .partial
                        node.arguments.append(ParseNode(.op, position: token.position, text: "?"))
                        try advance("?")
                    } else {
                        node.arguments.append(try expression(0))
                    }
                    if token.id != "," { break }
                    try advance(",")
                }
            }
            try advance(")", infix: true)
            if left.kind == .name && (left.text == "function" || left.text == "\u{03BB}") {
                for (i, arg) in node.arguments.enumerated() where arg.kind != .variable {
                    throw JSONataError("S0208", position: arg.position, token: arg.text, value: .number(Double(i + 1)))
                }
                node.kind = .lambda
                if token.id == "<" {
                    let sigPos = token.position
                    var depth = 1
                    var sig = "<"
                    while depth > 0 && token.id != "{" && token.id != "(end)" {
                        try advance()
                        let tok = token
                        if tok.id == ">" { depth -= 1 } else if tok.id == "<" { depth += 1 }
                        sig += tok.kind == .op || tok.kind == .name ? tok.text : tok.id
                    }
                    try advance(">")
                    do {
                        node.signature = try Signature(sig)
                    } catch var e {
                        e.position = sigPos + (e.position ?? 0)
                        throw e
                    }
                }
                try advance("{")
                node.body = try expression(0)
                try advance("}")
            }
            return node
        case "[":
            if token.id == "]" {
                var step: ParseNode? = left
                while let s = step, s.kind == .binary, s.text == "[" { step = s.lhs }
                step?.keepArray = true
                try advance("]")
                return left
            }
            node.lhs = left
            node.rhs = try expression(0)
            try advance("]", infix: true)
            return node
        case "^":
            try advance("(")
            var terms: [ParseNode.SortTerm] = []
            while true {
                var descending = false
                if token.id == "<" {
                    try advance("<")
                } else if token.id == ">" {
                    descending = true
                    try advance(">")
                }
                terms.append(ParseNode.SortTerm(descending: descending, expression: try expression(0)))
                if token.id != "," { break }
                try advance(",")
            }
            try advance(")", infix: true)
            node.lhs = left
            node.terms = terms
            return node
        case "{":
            node.lhs = left
            node.pairs = try objectPairs()
            return node
        case ":=":
            if left.kind != .variable { throw JSONataError("S0212", position: left.position, token: left.text) }
            node.lhs = left
            node.rhs = try expression(bp - 1)
            return node
        case "@", "#":
            node.lhs = left
            node.rhs = try expression(bp)
            if node.rhs?.kind != .variable {
                throw JSONataError("S0214", position: node.rhs?.position, token: op)
            }
            return node
        case "?":
            node.kind = .condition
            node.condition = left
            node.then = try expression(0)
            if token.id == ":" {
                try advance(":")
                node.otherwise = try expression(0)
            }
            return node
        case "?:":
            node.kind = .condition
            node.condition = left
            node.then = left
            node.otherwise = try expression(0)
            return node
        case "??":
            node.kind = .condition
            let exists = ParseNode(.function, position: t.position, text: "(")
            exists.procedure = ParseNode(.variable, position: t.position, text: "exists")
            exists.arguments = [left]
            node.condition = try measured(exists)
            node.then = left
            node.otherwise = try expression(0)
            return node
        default:
            throw JSONataError("S0201", position: t.position, token: op)
        }
    }
}
