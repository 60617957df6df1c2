import OnrampCore

/// One problem `onramp lint` found in a pipeline document: a stable code (docs/lint.md), a message, where it is
/// (field path, line and column in the file) and a fix when one is known.
public struct LintProblem: Sendable, Codable, Equatable {
    public enum Severity: String, Sendable, Codable { case error, warning }

    public var severity: Severity
    public var code: String
    public var message: String
    public var path: String?
    public var line: Int?
    public var column: Int?
    public var hint: String?

    public init(_ severity: Severity, _ code: String, _ message: String, path: String?, at position: SourceMap.Position? = nil,
                hint: String? = nil) {
        self.severity = severity
        self.code = code
        self.message = message
        self.path = path
        line = position?.line
        column = position?.column
        self.hint = hint
    }

    /// `file:line:column: severity [code] path: message`, and the hint on a line of its own, as compilers print.
    public func text(file: String) -> String {
        var place = file
        if let line { place += ":\(line)" + (column.map { ":\($0)" } ?? "") }
        var out = "\(place): \(severity.rawValue) [\(code)] " + (path.map { $0.isEmpty ? "" : "\($0): " } ?? "") + message
        if let hint { out += "\n  hint: \(hint)" }
        return out
    }

    /// The field path of an error's location: `pipeline.yaml: steps[0].map` → `steps[0].map`.
    public static func fieldPath(_ location: String) -> String {
        guard let range = location.range(of: ": ") else { return location }
        return String(location[range.upperBound...])
    }

    public var asValue: Value {
        var o: Value.Object = ["severity": .string(severity.rawValue), "code": .string(code), "message": .string(message),
                               "field": path.map(Value.string) ?? .null]
        o["line"] = line.map { .number(Double($0)) } ?? .null
        o["column"] = column.map { .number(Double($0)) } ?? .null
        o["hint"] = hint.map(Value.string) ?? .null
        return .object(o)
    }
}
