import OnrampCore

/// `${env:NAME}` and `${secret:NAME}` references inside a pipeline document's strings: secrets are
/// never written in the file, they are filled in when a run starts.
public enum Placeholders {
    static let kinds = ["env", "secret"]

    /// Every reference in the document, as (kind, name).
    public static func references(in v: Value) -> [(kind: String, name: String)] {
        switch v {
        case .string(let s): return scan(s).compactMap { $0.reference }
        case .array(let a): return a.flatMap(references)
        case .object(let o): return o.values.flatMap(references)
        default: return []
        }
    }

    /// Replaces every reference with `values[kind][name]`; a missing one is an error naming the path.
    static func substitute(_ v: Value, path: String, values: [String: [String: String]]) throws -> Value {
        switch v {
        case .string(let s) where s.contains("${"):
            var out = ""
            for piece in scan(s) {
                guard let (kind, name) = piece.reference else { out += piece.text; continue }
                guard let value = values[kind]?[name] else {
                    throw OnrampError(kind == "env" ? "spec.env" : "spec.secret",
                                      kind == "env" ? "environment variable \(name) is not set" : "secret \(name) is not defined for this tenant", at: path)
                }
                out += value
            }
            return .string(out)
        case .array(let a):
            return .array(try a.enumerated().map { try substitute($0.element, path: "\(path)[\($0.offset)]", values: values) })
        case .object(let o):
            var out = Value.Object()
            for (k, x) in o { out[k] = try substitute(x, path: path.isEmpty ? k : "\(path).\(k)", values: values) }
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
