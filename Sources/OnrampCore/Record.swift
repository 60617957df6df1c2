/// Where a record came from: a file and line, or a key (table primary key, API cursor…).
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    public var file: String?
    public var line: Int?
    public var key: String?

    public init(file: String? = nil, line: Int? = nil, key: String? = nil) {
        self.file = file
        self.line = line
        self.key = key
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(line.map { "\(file):\($0)" } ?? file) } else if let line { parts.append("line \(line)") }
        if let key { parts.append("key \(key)") }
        return parts.joined(separator: " ")
    }
}

/// One record flowing through a pipeline, with the position of the (first) source row it came from.
public struct Record: Sendable {
    public var value: Value
    public var position: SourcePosition

    public init(_ value: Value, position: SourcePosition = SourcePosition()) {
        self.value = value
        self.position = position
    }
}

/// The stage of a pipeline at which a record failed.
public enum Stage: String, Sendable, Codable {
    case extract, transform, load
}

/// A record that failed: what stage, where it came from, a stable code, a message and the value. A warning
/// (`isWarning`) is reported the same way but its record went on.
public struct RecordError: Sendable, Error {
    public var stage: Stage
    public var position: SourcePosition
    public var code: String
    public var message: String
    public var step: String?
    public var value: Value?
    /// The source record the failed one came from, when it failed at a later step than the first (for a replay).
    public var source: Value?
    /// The step (index) a replay of this record re-enters at, when it failed after a step that merges records
    /// (`group`), so that its source record is not known: `value` is what that step received.
    public var reentryStep: Int?
    /// Set by a step whose error records are records it received and that a replay must give it back together
    /// (a failed `aggregate` group): the record re-enters at that step, not from its source record.
    public var reentersAtStep = false
    /// The field path the problem is about, when there is one (`shipTo.region`).
    public var field: String?
    public var isWarning = false

    public init(stage: Stage, position: SourcePosition, code: String, message: String, step: String? = nil, value: Value? = nil,
                field: String? = nil, isWarning: Bool = false) {
        self.stage = stage
        self.position = position
        self.code = code
        self.message = message
        self.step = step
        self.value = value
        self.field = field
        self.isWarning = isWarning
    }

    public var asValue: Value {
        var o: Value.Object = ["stage": .string(stage.rawValue)]
        o["file"] = position.file.map(Value.string) ?? .null
        o["line"] = position.line.map { .number(Double($0)) } ?? .null
        o["key"] = position.key.map(Value.string) ?? .null
        o["step"] = step.map(Value.string) ?? .null
        o["field"] = field.map(Value.string) ?? .null
        o["severity"] = isWarning ? "warning" : "error"
        o["code"] = .string(code)
        o["message"] = .string(message)
        o["value"] = value ?? .null
        return .object(o)
    }
}

/// How a run ended.
public enum RunStatus: String, Sendable, Codable {
    case succeeded
    case succeededWithErrors = "succeeded_with_errors"
    case failed
    /// Stopped on request at a batch boundary; what was acknowledged stays committed.
    case cancelled
}
