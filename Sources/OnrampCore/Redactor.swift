import Foundation

/// Replaces a tenant's secret values with `***` wherever they would be shown: preview output, error
/// reports, run logs, API error messages. Values shorter than 3 characters are left alone.
public struct Redactor: Sendable {
    let secrets: [String]

    public init(secrets: some Sequence<String>) {
        // Longest first, so a secret that contains another is replaced whole.
        self.secrets = Set(secrets.filter { $0.count >= 3 }).sorted { $0.count > $1.count }
    }

    public static let none = Redactor(secrets: [])

    public var isEmpty: Bool { secrets.isEmpty }

    public func string(_ s: String) -> String {
        guard !secrets.isEmpty else { return s }
        var out = s
        for secret in secrets where out.contains(secret) { out = out.replacingOccurrences(of: secret, with: "***") }
        return out
    }

    public func value(_ v: Value) -> Value {
        guard !secrets.isEmpty else { return v }
        switch v {
        case .string(let s): return .string(string(s))
        case .array(let a): return .array(a.map(value))
        case .object(let o):
            var out = Value.Object()
            for (k, x) in o { out[string(k)] = value(x) }
            return .object(out)
        default: return v
        }
    }
}
