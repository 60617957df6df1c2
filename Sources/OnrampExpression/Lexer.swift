/// Splits a JSONata expression into tokens; whether `/` opens a regex depends on the parser's state.
struct Lexer {
    static let singleCharOperators: Set<UInt16> = Set(".[]{}(),@#;:?+-*/%|=<>^&!~".utf16)
    static let twoCharOperators = ["..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"]

    let chars: [UInt16]
    var position = 0

    init(_ source: String) { chars = Array(source.utf16) }

    private func at(_ i: Int) -> UInt16 { i < chars.count && i >= 0 ? chars[i] : 0 }
    private static func isSpace(_ c: UInt16) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B }
    private func text(_ from: Int, _ to: Int) -> String { Lexer.string(chars[from..<to]) }

    /// The text of UTF-16 code units, made from UTF-8 so that a short one is stored inline (names
    /// and literals are compared and copied on every evaluation; inline strings need no retain).
    static func string(_ units: some Collection<UInt16>) -> String {
        if units.allSatisfy({ $0 < 0x80 }) { return String(decoding: units.map { UInt8($0) }, as: UTF8.self) }
        return String(decoding: Array(String(decoding: units, as: UTF16.self).utf8), as: UTF8.self)
    }

    mutating func next(infix: Bool) throws(JSONataError) -> Token {
        while position < chars.count, Lexer.isSpace(chars[position]) { position += 1 }
        // comments (a loop, not a recursion: any number of them may follow each other)
        while at(position) == 0x2F, at(position + 1) == 0x2A {
            let start = position
            position += 2
            while !(at(position) == 0x2A && at(position + 1) == 0x2F) {
                position += 1
                if position >= chars.count { throw JSONataError("S0106", position: start) }
            }
            position += 2
            while position < chars.count, Lexer.isSpace(chars[position]) { position += 1 }
        }
        if position >= chars.count { return Token(kind: .end, position: chars.count) }
        let c = chars[position]
        if !infix && c == 0x2F {
            position += 1
            return try scanRegex()
        }
        if position + 1 < chars.count {
            let two = text(position, position + 2)
            if Lexer.twoCharOperators.contains(two) {
                position += 2
                return Token(kind: .op, text: two, position: position)
            }
        }
        if Lexer.singleCharOperators.contains(c) {
            position += 1
            return Token(kind: .op, text: Lexer.string(CollectionOfOne(c)), position: position)
        }
        if c == 0x22 || c == 0x27 { return try scanString(quote: c) }
        if c >= 0x30 && c <= 0x39 { return try scanNumber() }
        if c == 0x60 {
            position += 1
            let start = position
            while position < chars.count, chars[position] != 0x60 { position += 1 }
            if position >= chars.count { throw JSONataError("S0105", position: start) }
            let name = text(start, position)
            position += 1
            return Token(kind: .name, text: name, position: position)
        }
        var i = position
        while i < chars.count, !Lexer.isSpace(chars[i]), !Lexer.singleCharOperators.contains(chars[i]) { i += 1 }
        if chars[position] == 0x24 {
            let name = text(position + 1, i)
            position = i
            return Token(kind: .variable, text: name, position: position)
        }
        let name = text(position, i)
        position = i
        switch name {
        case "and", "or", "in": return Token(kind: .op, text: name, position: position)
        case "true", "false", "null": return Token(kind: .value, text: name, position: position)
        default: return Token(kind: .name, text: name, position: position)
        }
    }

    private mutating func scanNumber() throws(JSONataError) -> Token {
        let start = position
        func digits(_ l: inout Lexer) -> Int { let s = l.position; while l.at(l.position) >= 0x30 && l.at(l.position) <= 0x39 { l.position += 1 }; return l.position - s }
        if at(position) == 0x30 { position += 1 } else { _ = digits(&self) }
        if at(position) == 0x2E, at(position + 1) >= 0x30, at(position + 1) <= 0x39 {
            position += 1
            _ = digits(&self)
        }
        if at(position) == 0x65 || at(position) == 0x45 {
            var p = position + 1
            if at(p) == 0x2B || at(p) == 0x2D { p += 1 }
            if at(p) >= 0x30 && at(p) <= 0x39 {
                position = p
                _ = digits(&self)
            }
        }
        let t = text(start, position)
        guard let d = Double(t), d.isFinite else { throw JSONataError("S0102", position: start, token: t) }
        return Token(kind: .number, text: t, number: d, position: position)
    }

    private mutating func scanString(quote: UInt16) throws(JSONataError) -> Token {
        position += 1
        var out: [UInt16] = []
        while position < chars.count {
            var c = chars[position]
            if c == 0x5C {
                position += 1
                c = at(position)
                switch c {
                case 0x22, 0x27, 0x5C, 0x2F: out.append(c)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    guard position + 4 < chars.count, let code = UInt16(text(position + 1, position + 5), radix: 16) else {
                        throw JSONataError("S0104", position: position)
                    }
                    out.append(code)
                    position += 4
                default:
                    throw JSONataError("S0103", position: position, token: Lexer.string(CollectionOfOne(c)))
                }
            } else if c == quote {
                position += 1
                return Token(kind: .string, text: Lexer.string(out), position: position)
            } else {
                out.append(c)
            }
            position += 1
        }
        throw JSONataError("S0101", position: position)
    }

    private mutating func scanRegex() throws(JSONataError) -> Token {
        let start = position
        var depth = 0
        while position < chars.count {
            let c = chars[position]
            if c == 0x2F && depth == 0 {
                var backslashes = 0
                while at(position - (backslashes + 1)) == 0x5C { backslashes += 1 }
                if backslashes % 2 == 0 {
                    let pattern = text(start, position)
                    if pattern.isEmpty { throw JSONataError("S0301", position: position) }
                    position += 1
                    let flagStart = position
                    while at(position) == 0x69 || at(position) == 0x6D { position += 1 }
                    return Token(kind: .regex, text: pattern, regexFlags: text(flagStart, position), position: position)
                }
            }
            if (c == 0x28 || c == 0x5B || c == 0x7B) && at(position - 1) != 0x5C { depth += 1 }
            if (c == 0x29 || c == 0x5D || c == 0x7D) && at(position - 1) != 0x5C { depth -= 1 }
            position += 1
        }
        throw JSONataError("S0302", position: position)
    }
}
