import OnrampCore

/// `${env:NAME}`, `${secret:NAME}` and `${param:NAME}` references inside a pipeline document's
/// strings: secrets are never written in the file, they are filled in when a run starts; params are
/// a template's blanks, filled in when a customer is onboarded.
public enum Placeholders {
    static let kinds = ["env", "secret", "param"]

    /// Every reference in the document, as (kind, name).
    public static func references(in v: Value) -> [(kind: String, name: String)] {
        switch v {
        case .string(let s): return scan(s).compactMap { $0.reference }
        case .array(let a): return a.flatMap(references)
        case .object(let o): return o.values.flatMap(references)
        default: return []
        }
    }

    /// Replaces every reference with `values[kind][name]`, leaving kinds not in `values` as written
    /// when they are in `leaving`; a missing one is an error naming the path.
    public static func substitute(_ v: Value, path: String = "", values: [String: [String: String]], leaving: Set<String> = []) throws -> Value {
        switch v {
        case .string(let s) where s.contains("${"):
            var out = ""
            for piece in scan(s) {
                guard let (kind, name) = piece.reference else { out += piece.text; continue }
                if leaving.contains(kind) { out += "${\(kind):\(name)}"; continue }
                guard let value = values[kind]?[name] else {
                    let (code, message) = switch kind {
                    case "env": ("spec.env", "environment variable \(name) is not set")
                    case "secret": ("spec.secret", "secret \(name) is not defined for this tenant")
                    default: ("spec.param", "template parameter \(name) has no value")
                    }
                    throw OnrampError(code, message, at: path)
                }
                out += value
            }
            return .string(out)
        case .array(let a):
            return .array(try a.enumerated().map { try substitute($0.element, path: "\(path)[\($0.offset)]", values: values, leaving: leaving) })
        case .object(let o):
            var out = Value.Object()
            for (k, x) in o { out[k] = try substitute(x, path: path.isEmpty ? k : "\(path).\(k)", values: values, leaving: leaving) }
            return .object(out)
        default:
            return v
        }
    }

    private struct Piece { var text: String; var reference: (kind: String, name: String)? }

    private static func scan(_ s: String) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(s)
        while let open = rest.range(of: "${") {
            let inner = rest[open.upperBound...]
            guard let close = inner.firstIndex(of: "}"), let colon = inner[..<close].firstIndex(of: ":"),
                  kinds.contains(String(inner[..<colon])) else {
                pieces.append(Piece(text: String(rest[..<open.upperBound])))
                rest = inner
                continue
            }
            pieces.append(Piece(text: String(rest[..<open.lowerBound])))
            pieces.append(Piece(text: "", reference: (String(inner[..<colon]), String(inner[inner.index(after: colon)..<close]))))
            rest = inner[inner.index(after: close)...]
        }
        pieces.append(Piece(text: String(rest)))
        return pieces
    }
}
