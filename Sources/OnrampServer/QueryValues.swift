import Hummingbird
import OnrampCore

/// A route's query parameters read strictly: an unknown parameter, or a value that is not what the
/// route documents (a number out of range, a word not in the list), is a 422 naming the parameter.
struct QueryValues {
    let values: [String: String]

    init(_ request: Request, allowed: Set<String>) throws {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard allowed.contains(name) else {
                throw APIError(.unprocessableContent, "unknown_parameter",
                               "unknown query parameter; this route takes \(allowed.sorted().joined(separator: ", "))", field: name)
            }
            values[name] = String(value)
        }
        self.values = values
    }

    func string(_ name: String) -> String? { values[name] }

    func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let n = Int(text), range.contains(n) else {
            let bounds = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
            throw APIError(.unprocessableContent, "invalid", "must be an integer \(bounds), not '\(text)'", field: name)
        }
        return n
    }

    /// One of `allowed`, or nil when absent.
    func choice(_ name: String, _ allowed: [String]) throws -> String? {
        guard let text = values[name] else { return nil }
        guard allowed.contains(text) else {
            throw APIError(.unprocessableContent, "invalid", "must be one of \(allowed.joined(separator: ", ")), not '\(text)'", field: name)
        }
        return text
    }
}
