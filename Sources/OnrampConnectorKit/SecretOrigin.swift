import Foundation
import OnrampCore

/// Where a secret may be sent: `scheme://host[:port]`, compared case-insensitively with the scheme's
/// default port filled in (http 80, https 443, postgres 5432) and written without it. A connector's schema
/// marks the config fields that name it with `x-origin` (see `SecretOrigin.fields(in:schema:path:)`).
public struct SecretOrigin: Sendable, Hashable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int?

    static let defaultPorts = ["http": 80, "https": 443, "postgres": 5432, "postgresql": 5432]

    /// An origin as an operator writes it: a scheme, a host and an optional port, nothing after but `/`.
    public init?(origin text: String) {
        guard let parsed = Self.split(text), parsed.rest.isEmpty || parsed.rest == "/" else { return nil }
        self = parsed.origin
    }

    /// The origin of a URL (or a URL template whose `{…}` parts are all after its host); nil when it has no
    /// scheme and host or its host is not fixed.
    /// Where Foundation's parser (which the HTTP clients use) reads another host than this one, it is nil.
    public init?(url text: String) {
        // Both readings must agree, and Foundation's must exist: a URL it cannot parse now may parse otherwise once
        // its template is filled (`https://erp.acme\@evil.example:{443}/`).
        guard let parsed = Self.split(text), let c = URLComponents(string: text) else { return nil }
        var host = (c.host ?? "").lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        while host.hasSuffix(".") { host.removeLast() }
        guard host == parsed.origin.host, (c.port ?? parsed.origin.port) == parsed.origin.port else { return nil }
        self = parsed.origin
    }

    init(scheme: String, host: String, port: Int?) {
        self.scheme = scheme
        self.host = host
        self.port = port ?? Self.defaultPorts[scheme]
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let shownPort = port == Self.defaultPorts[scheme] ? nil : port
        return "\(scheme)://\(shownHost)" + (shownPort.map { ":\($0)" } ?? "")
    }

    /// `scheme://authority` and what follows it; the authority's user part is dropped (never sent as a host).
    private static func split(_ text: String) -> (origin: SecretOrigin, rest: Substring)? {
        guard let sep = text.range(of: "://") else { return nil }
        let scheme = text[..<sep.lowerBound].lowercased()
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }),
              scheme.first!.isLetter else { return nil }
        let afterScheme = text[sep.upperBound...]
        let end = afterScheme.firstIndex(where: { "/?#\\".contains($0) }) ?? afterScheme.endIndex
        // A backslash ends the authority for some parsers and not for others: no origin has one.
        guard end == afterScheme.endIndex || afterScheme[end] != "\\" else { return nil }
        var authority = afterScheme[..<end]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty, !authority.contains(where: { "{}$%".contains($0) || $0.isWhitespace }) else {
            return nil
        }
        var host = authority
        var port: Int?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let tail = authority[authority.index(after: close)...]
            if !tail.isEmpty {
                guard tail.hasPrefix(":"), let p = Int(tail.dropFirst()), (1...65535).contains(p) else { return nil }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
        }
        var name = host.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { return nil }
        return (SecretOrigin(scheme: scheme, host: name, port: port), afterScheme[end...])
    }
}

extension SecretOrigin {
    /// A config field that names where its connector sends credentials, with the origin it names (nil: the
    /// value is not a URL with a fixed host).
    public struct Field: Sendable {
        public var path: String
        public var text: String
        public var origin: SecretOrigin?
    }

    /// Every field of `config` whose schema carries `x-origin`: `true` for a URL field (its origin), or a
    /// template such as `"postgres://{host}:{port}"` built from the sibling fields (their schema default when
    /// absent). Fields absent from the config name no origin.
    public static func fields(in config: Value, schema: Value?, path: String) -> [Field] {
        switch config {
        case .object(let o):
            var out: [Field] = []
            for (key, value) in o.sorted(by: { $0.key < $1.key }) {
                let property = JSONSchema.property(key, of: schema)
                let at = "\(path).\(key)"
                switch property?["x-origin"] {
                case .bool(true)?:
                    let text = value.stringValue ?? JSONWriter.string(value)
                    out.append(Field(path: at, text: text, origin: SecretOrigin(url: text)))
                case .string(let template)?:
                    let (text, clean) = fill(template, from: o, schema: schema)
                    out.append(Field(path: at, text: text, origin: clean ? SecretOrigin(origin: text) : nil))
                default:
                    out += fields(in: value, schema: property, path: at)
                }
            }
            return out
        case .array(let a):
            let items = schema?["items"]
            return a.enumerated().flatMap { i, element -> [Field] in
                guard items?["x-origin"] == .bool(true) else {
                    return fields(in: element, schema: items, path: "\(path)[\(i)]")
                }
                let text = element.stringValue ?? JSONWriter.string(element)
                return [Field(path: "\(path)[\(i)]", text: text, origin: SecretOrigin(url: text))]
            }
        default:
            return []
        }
    }

    /// Characters that end an authority or change what it names, refused in a host or port an origin is built from.
    private static let authorityBreakers = Set("@/?#\\[]{}%$ ".unicodeScalars)

    /// `template` with each `{name}` replaced by sibling `name`'s value (or its schema default), and whether
    /// every value was a plain host or port (no character that would end or change an authority).
    private static func fill(_ template: String, from object: Value.Object, schema: Value?) -> (String, Bool) {
        var out = ""
        var clean = true
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            let value = object[name] ?? JSONSchema.property(name, of: schema)?["default"]
            switch value {
            case .string(let s)?:
                let breaks = s.unicodeScalars.contains {
                    Self.authorityBreakers.contains($0) || !(33...126).contains($0.value)
                }
                if s.isEmpty || breaks {
                    clean = false
                }
                out += s
            case .number(let n)? where n == n.rounded() && abs(n) < 1e15: out += String(Int64(n))
            default:
                clean = false
                out += "{\(name)}"
            }
            rest = rest[rest.index(after: close)...]
        }
        return (out + rest, clean)
    }
}
