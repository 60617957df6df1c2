import OnrampCore
import OnrampExpression

/// A string with JSONata expressions in braces (`/orders/{id}/lines`, `Bearer {token}`), compiled once.
/// Braces inside an expression nest and quoted strings are skipped, so `{ {"a": 1}.a }` works.
struct HTTPTemplate: Sendable {
    enum Part: Sendable {
        case text(String)
        case expression(JSONata)
    }

    enum Encoding: Sendable {
        /// Values are percent-encoded (a URL's path segment or query value).
        case url
        /// Values are written as they are; CR and LF are refused (a header value).
        case header
    }

    let source: String
    let parts: [Part]

    /// Compiles `source`; `field` names the config field in errors.
    init(_ source: String, field: String) throws {
        self.source = source
        var parts: [Part] = []
        var text = ""
        let chars = Array(source)
        var i = 0
        while i < chars.count {
            guard chars[i] == "{" else {
                text.append(chars[i])
                i += 1
                continue
            }
            var depth = 1
            var j = i + 1
            var quote: Character?
            while j < chars.count, depth > 0 {
                let c = chars[j]
                if let q = quote {
                    if c == "\\" { j += 1 } else if c == q { quote = nil }
                } else if c == "\"" || c == "'" {
                    quote = c
                } else if c == "{" {
                    depth += 1
                } else if c == "}" {
                    depth -= 1
                }
                j += 1
            }
            guard depth == 0 else {
                throw OnrampError("http.template", "unclosed '{' in template \"\(source)\"", at: field)
            }
            let expression = String(chars[(i + 1)..<(j - 1)])
            do {
                if !text.isEmpty { parts.append(.text(text)) }
                text = ""
                parts.append(.expression(try JSONata(expression)))
            } catch {
                throw OnrampError("http.template", "bad expression {\(expression)} in \"\(source)\": \(describe(error))",
                                  at: field)
            }
            i = j
        }
        if !text.isEmpty { parts.append(.text(text)) }
        self.parts = parts
    }

    /// The template filled from `input`; an expression that is undefined, or gives an array or object,
    /// is an error naming it.
    func render(_ input: Value, encoding: Encoding) throws -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let t): out += t
            case .expression(let e):
                let result: Value?
                do { result = try e.evaluate(input) } catch {
                    throw OnrampError("http.template", "{\(e.source)} failed: \(describe(error))")
                }
                guard let result, !result.isNull, let text = result.scalarText else {
                    let got = result.map { $0.typeName } ?? "nothing"
                    throw OnrampError("http.template", "{\(e.source)} gave \(got), not a text or number")
                }
                switch encoding {
                case .url: out += Self.percentEncode(text)
                case .header:
                    guard !text.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                        throw OnrampError("http.template", "{\(e.source)} gave a value with a line break")
                    }
                    out += text
                }
            }
        }
        return out
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String {
        count >= n ? self : String(repeating: "0", count: n - count) + self
    }
}

/// A JSONata error's message (other errors as they print).
func describe(_ error: any Error) -> String {
    (error as? JSONataError)?.message ?? "\(error)"
}
