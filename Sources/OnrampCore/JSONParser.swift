/// A strict JSON parser over UTF-8 bytes that keeps object key order and reports line and column.
public struct JSONParser {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public let line: Int
        public let column: Int
        public var description: String { "\(message) at line \(line), column \(column)" }
    }

    private let bytes: [UInt8]
    private var i = 0
    /// Numbers with more than 15 significant digits (which a double may not hold exactly) become their text.
    private var exactNumbers = false

    public static func parse(_ text: String) throws(Failure) -> Value {
        try parse(Array(text.utf8))
    }

    /// `exactNumbers`: a number with more than 15 significant digits is kept as its decimal text (a string),
    /// so no digit is lost (`12345678901234567890`, `0.12345678901234567`); shorter ones are numbers.
    public static func parse(_ bytes: [UInt8]) throws(Failure) -> Value {
        try parse(bytes, exactNumbers: false)
    }

    public static func parse(_ bytes: [UInt8], exactNumbers: Bool) throws(Failure) -> Value {
        var p = JSONParser(bytes: bytes)
        p.exactNumbers = exactNumbers
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { p.i = 3 }
        p.skipWhitespace()
        let v = try p.parseValue(depth: 0)
        p.skipWhitespace()
        if p.i < bytes.count { throw p.failure("unexpected text after the JSON value") }
        return v
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func failure(_ message: String) -> Failure {
        var line = 1, col = 1
        for b in bytes[..<min(i, bytes.count)] {
            if b == 0x0A { line += 1; col = 1 } else if b & 0xC0 != 0x80 { col += 1 }
        }
        return Failure(message: message, line: line, column: col)
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func parseValue(depth: Int) throws(Failure) -> Value {
        guard depth < 512 else { throw failure("JSON nested deeper than 512 levels") }
        guard i < bytes.count else { throw failure("unexpected end of JSON") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var obj = Value.Object()
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(obj) }
            while true {
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw failure("expected a string key") }
                let key = try parseString()
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw failure("expected ':' after key") }
                i += 1
                skipWhitespace()
                obj[key] = try parseValue(depth: depth + 1)
                skipWhitespace()
                guard i < bytes.count else { throw failure("unexpected end of JSON in an object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(obj) }
                throw failure("expected ',' or '}' in an object")
            }
        case UInt8(ascii: "["):
            i += 1
            var arr: [Value] = []
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(arr) }
            while true {
                skipWhitespace()
                arr.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard i < bytes.count else { throw failure("unexpected end of JSON in an array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(arr) }
                throw failure("expected ',' or ']' in an array")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = i
            let d = try parseNumber()
            if exactNumbers, Self.significantDigits(bytes[start..<i]) > 15 {
                return .string(String(decoding: bytes[start..<i], as: UTF8.self))
            }
            return .number(d)
        default:
            throw failure("unexpected character '\(Character(Unicode.Scalar(bytes[i])))'")
        }
    }

    private mutating func literal(_ word: StaticString, _ v: Value) throws(Failure) -> Value {
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard i + w.count <= bytes.count, bytes[i..<(i + w.count)].elementsEqual(w) else {
            throw failure("invalid literal")
        }
        i += w.count
        return v
    }

    /// The mantissa's digits without leading and trailing zeros (`0.0012300` has 3).
    static func significantDigits(_ text: ArraySlice<UInt8>) -> Int {
        var first: Int?, last = 0, count = 0
        for b in text {
            if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { break }
            guard b >= 0x30, b <= 0x39 else { continue }
            if b != 0x30 {
                if first == nil { first = count }
                last = count
            }
            count += 1
        }
        guard let first else { return 0 }
        return last - first + 1
    }

    private mutating func parseNumber() throws(Failure) -> Double {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.i
            while p.i < p.bytes.count, p.bytes[p.i] >= 0x30, p.bytes[p.i] <= 0x39 { p.i += 1 }
            return p.i - s
        }
        let intStart = i
        let intDigits = digits(&self)
        if intDigits == 0 { throw failure("invalid number") }
        if intDigits > 1 && bytes[intStart] == 0x30 { throw failure("leading zeros are not allowed in numbers") }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            if digits(&self) == 0 { throw failure("invalid number: digits expected after '.'") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            if digits(&self) == 0 { throw failure("invalid number: digits expected in exponent") }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        guard let d = Double(text) else { throw failure("invalid number") }
        return d
    }

    private mutating func parseString() throws(Failure) -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let s = String(decoding: bytes[start..<i], as: UTF8.self)
                i += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw failure("control character in string") }
            i += 1
        }
        var out = Array(bytes[start..<i])
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
            if b < 0x20 { throw failure("control character in string") }
            if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if code >= 0xD800 && code < 0xDC00, i + 1 < bytes.count, bytes[i] == 0x5C, bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    if low >= 0xDC00 && low < 0xE000 {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        out.append(contentsOf: Array(String(Character(Unicode.Scalar(0xFFFD)!)).utf8))
                        code = low
                    }
                }
                let scalar = Unicode.Scalar(code) ?? Unicode.Scalar(0xFFFD)!
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw failure("invalid escape in string")
            }
        }
        throw failure("unterminated string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard i + 4 <= bytes.count else { throw failure("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw failure("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}
