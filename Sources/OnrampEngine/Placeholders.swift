import OnrampConnectorKit
import OnrampCore

/// `${env:NAME}`, `${secret:NAME}` and `${param:NAME}` references inside a pipeline document's
/// strings: secrets are never written in the file, they are filled in when a run starts; params are
/// a template's blanks, filled in when a customer is onboarded.
public enum Placeholders {
    static let kinds = ["env", "secret", "param"]

    /// Every reference in the document, as (kind, name).
    public static func references(in v: Value) -> [(kind: String, name: String)] {
        locatedReferences(in: v).map { ($0.kind, $0.name) }
    }

    /// Every reference in the document with the path of the string that holds it.
    public static func locatedReferences(in v: Value, path: String = "") -> [(kind: String, name: String, path: String)] {
        var out: [(kind: String, name: String, path: String)] = []
        locate(v, ValuePath(path), &out)
        return out
    }

    private static func locate(_ v: Value, _ path: ValuePath, _ out: inout [(kind: String, name: String, path: String)]) {
        switch v {
        case .string(let s) where s.contains("${"):
            for r in scan(s).compactMap(\.reference) { out.append((r.kind, r.name, path.description)) }
        case .array(let a): for (i, x) in a.enumerated() { locate(x, path.index(i), &out) }
        case .object(let o): for (k, x) in o { locate(x, path.key(k), &out) }
        default: return
        }
    }

    /// Replaces every reference with `values[kind][name]`, leaving kinds not in `values` as written
    /// when they are in `leaving`; a missing one is an error naming the path (`envHint` says what
    /// reaches a document from the environment).
    public static func substitute(_ v: Value, path: String = "", values: [String: [String: String]], leaving: Set<String> = [],
                                  envHint: String = "is not set") throws -> Value {
        try substitute(v, at: ValuePath(path), values: values, leaving: leaving, envHint: envHint)
    }

    private static func substitute(_ v: Value, at path: ValuePath, values: [String: [String: String]], leaving: Set<String>,
                                   envHint: String) throws -> Value {
        switch v {
        case .string(let s) where s.contains("${"):
            var out = ""
            for piece in scan(s) {
                guard let (kind, name) = piece.reference else { out += piece.text; continue }
                if leaving.contains(kind) { out += "${\(kind):\(name)}"; continue }
                guard let value = values[kind]?[name] else {
                    let (code, message) = switch kind {
                    case "env": ("spec.env", "environment variable \(name) \(envHint)")
                    case "secret": ("spec.secret", "secret \(name) is not defined for this tenant")
                    default: ("spec.param", "template parameter \(name) has no value")
                    }
                    throw OnrampError(code, message, at: path.description)
                }
                out += value
            }
            return .string(out)
        case .array(let a):
            return .array(try a.enumerated().map {
                try substitute($0.element, at: path.index($0.offset), values: values, leaving: leaving, envHint: envHint)
            })
        case .object(let o):
            var out = Value.Object()
            for (k, x) in o { out[k] = try substitute(x, at: path.key(k), values: values, leaving: leaving, envHint: envHint) }
            return .object(out)
        default:
            return v
        }
    }

    /// The document with every `${secret:NAME}` written `${env:NAME}`: a template made into a pipeline file for the
    /// command line, where the environment holds the keys.
    public static func renamingSecretsToEnvironment(_ v: Value) -> Value {
        switch v {
        case .string(let s) where s.contains("${secret:"):
            return .string(scan(s).map { p in p.reference.map { "${\($0.kind == "secret" ? "env" : $0.kind):\($0.name)}" } ?? p.text }
                .joined())
        case .array(let a): return .array(a.map(renamingSecretsToEnvironment))
        case .object(let o): return .object(o.mapValues(renamingSecretsToEnvironment))
        default: return v
        }
    }

    /// Checks that `${secret:…}` appears only where a secret belongs: a connector config field its
    /// JSON Schema marks secret (`"x-secret": true` or `"format": "password"`), or `notify.secret`.
    /// Anywhere else (a step expression, a path, a URL) it is an error naming the place.
    public static func checkSecretPlacement(_ document: Value, registry: ConnectorRegistry) throws {
        guard case .object(let root) = document else { return }
        for (key, value) in root {
            switch key {
            case "source", "destination":
                guard case .object(let side) = value else { try refuseSecrets(value, path: key); continue }
                let connector = side["connector"]?.stringValue ?? ""
                let schema = key == "source" ? registry.sources[connector]?.configSchema : registry.destinations[connector]?.configSchema
                for (k, v) in side {
                    if k == "config" { try checkConfig(v, schema: schema, path: "\(key).config") } else { try refuseSecrets(v, path: "\(key).\(k)") }
                }
            case "steps":
                guard case .array(let steps) = value else { try refuseSecrets(value, path: key); continue }
                for (i, step) in steps.enumerated() { try checkStep(step, registry: registry, path: "steps[\(i)]") }
            case "notify":
                guard case .object(let notify) = value else { try refuseSecrets(value, path: key); continue }
                for (k, v) in notify where k != "secret" { try refuseSecrets(v, path: "notify.\(k)") }
            default:
                try refuseSecrets(value, path: key)
            }
        }
    }

    /// A step's connectors (a lookup's `table.source`, a route's `destination`) take secrets where their schemas
    /// mark fields secret, as the pipeline's own source and destination do; nothing else in a step does.
    private static func checkStep(_ step: Value, registry: ConnectorRegistry, path: String) throws {
        guard case .object(let o) = step else { try refuseSecrets(step, path: path); return }
        for (type, config) in o {
            let at = "\(path).\(type)"
            let inner: (key: String, value: Value, schema: Value?)?
            switch type {
            case "lookup":
                let source = config["table"]?["source"]
                inner = source.map { ("table.source", $0, registry.sources[$0["connector"]?.stringValue ?? ""]?.configSchema) }
            case "route":
                let destination = config["destination"]
                inner = destination.map { ("destination", $0, registry.destinations[$0["connector"]?.stringValue ?? ""]?.configSchema) }
            default:
                inner = nil
            }
            guard let inner, case .object(let side) = inner.value, case .object(var rest) = config else {
                try refuseSecrets(config, path: at)
                continue
            }
            for (k, v) in side {
                if k == "config" { try checkConfig(v, schema: inner.schema, path: "\(at).\(inner.key).config") }
                else { try refuseSecrets(v, path: "\(at).\(inner.key).\(k)") }
            }
            if type == "lookup", case .object(var table)? = rest["table"] {
                table["source"] = nil
                rest["table"] = .object(table)
            } else {
                rest["destination"] = nil
            }
            try refuseSecrets(.object(rest), path: at)
        }
    }

    static func isSecretField(_ schema: Value?) -> Bool { JSONSchema.isSecret(schema) }

    private static func checkConfig(_ v: Value, schema: Value?, path: String) throws {
        try checkConfig(v, schema: schema, at: ValuePath(path))
    }

    private static func checkConfig(_ v: Value, schema: Value?, at path: ValuePath) throws {
        switch v {
        case .string where isSecretField(schema): return
        case .object(let o):
            for (k, x) in o { try checkConfig(x, schema: JSONSchema.property(k, of: schema), at: path.key(k)) }
        case .array(let a):
            for (i, x) in a.enumerated() { try checkConfig(x, schema: schema?["items"], at: path.index(i)) }
        default:
            try refuseSecrets(v, at: path)
        }
    }

    private static func refuseSecrets(_ v: Value, path: String) throws { try refuseSecrets(v, at: ValuePath(path)) }

    private static func refuseSecrets(_ v: Value, at path: ValuePath) throws {
        switch v {
        case .string(let s):
            if s.contains("${secret:"), let r = scan(s).compactMap(\.reference).first(where: { $0.kind == "secret" }) {
                throw OnrampError("spec.secret_placement", "${secret:\(r.name)} may only fill a connector config field marked "
                                  + "secret (such as destination.config.api_key), not this one", at: path.description)
            }
        case .array(let a): for (i, x) in a.enumerated() { try refuseSecrets(x, at: path.index(i)) }
        case .object(let o): for (k, x) in o { try refuseSecrets(x, at: path.key(k)) }
        default: return
        }
    }

    private struct Piece { var text: String; var reference: (kind: String, name: String)? }

    /// The pieces of `s` in one pass: `${kind:name}` with a known kind and a name of letters, digits, `_`,
    /// `-` or `.` is a reference; everything else is text (linear in `s`, whatever it holds).
    private static func scan(_ s: String) -> [Piece] {
        let u = Array(s.utf8)
        func text(_ r: Range<Int>) -> String { String(decoding: u[r], as: UTF8.self) }
        func isName(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 45 || c == 46
        }
        var pieces: [Piece] = []
        var i = 0, textStart = 0
        while i + 1 < u.count {
            guard u[i] == UInt8(ascii: "$"), u[i + 1] == UInt8(ascii: "{") else { i += 1; continue }
            var k = i + 2
            while k < u.count, (u[k] >= 97 && u[k] <= 122) { k += 1 }
            guard k < u.count, u[k] == UInt8(ascii: ":"), kinds.contains(text(i + 2..<k)) else { i += 2; continue }
            var n = k + 1
            while n < u.count, isName(u[n]) { n += 1 }
            guard n < u.count, u[n] == UInt8(ascii: "}"), n > k + 1 else { i += 2; continue }
            pieces.append(Piece(text: text(textStart..<i)))
            pieces.append(Piece(text: "", reference: (text(i + 2..<k), text(k + 1..<n))))
            i = n + 1
            textStart = i
        }
        pieces.append(Piece(text: text(textStart..<u.count)))
        return pieces
    }
}
