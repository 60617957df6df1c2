import OnrampCore

/// A JSONata compile or evaluation error: a stable code (as the reference implementation gives it),
/// a message, and the character offset in the expression where it happened.
public struct JSONataError: Error, Sendable, CustomStringConvertible {
    public let code: String
    public var position: Int?
    public var token: String?
    public var value: Value?
    public var value2: Value?
    public var index: Int?
    public var extra: [String: String]

    init(_ code: String, position: Int? = nil, token: String? = nil, value: Value? = nil, value2: Value? = nil,
         index: Int? = nil, extra: [String: String] = [:]) {
        self.code = code
        self.position = position
        self.token = token
        self.value = value
        self.value2 = value2
        self.index = index
        self.extra = extra
    }

    init(_ code: String, position: Int? = nil, token: String? = nil, jvalue: JValue, value2: JValue? = nil, index: Int? = nil) {
        self.init(code, position: position, token: token, value: jvalue.shownValue, value2: value2?.shownValue,
                  index: index)
    }

    public var message: String {
        guard let template = JSONataError.messages[code] else { return extra["message"] ?? "JSONata error \(code)" }
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            let triple = rest[open.upperBound...].hasPrefix("{")
            let nameStart = triple ? rest.index(after: open.upperBound) : open.upperBound
            guard let close = rest[nameStart...].range(of: "}}") else { break }
            let name = String(rest[nameStart..<close.lowerBound])
            out += substitution(name, raw: triple)
            rest = rest[(triple ? rest.index(after: close.upperBound) : close.upperBound)...]
        }
        out += rest
        return out
    }

    private func substitution(_ name: String, raw: Bool) -> String {
        switch name {
        case "token": return token ?? ""
        case "index": return index.map(String.init) ?? ""
        case "value": return raw ? (value?.stringValue ?? "") : JSONataError.render(value)
        case "value2": return JSONataError.render(value2)
        default: return extra[name] ?? ""
        }
    }

    static func render(_ v: Value?) -> String {
        guard let v else { return "undefined" }
        if case .string(let s) = v { return JSONWriter.string(.string(s)) }
        return JSONWriter.string(v)
    }

    public var description: String {
        var s = "\(code): \(message)"
        if let position { s += " (at position \(position))" }
        return s
    }
}
