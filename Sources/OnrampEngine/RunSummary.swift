import OnrampConnectorKit
import OnrampCore

/// Counts and outcome of one run, as printed by the CLI and stored by the server.
public struct RunSummary: Sendable {
    public var pipeline: String
    public var status: RunStatus = .succeeded
    public var recordsRead = 0
    public var recordsWritten = 0
    public var failedByStage: [Stage: Int] = [:]
    /// Records handed to the destination (accepted or refused).
    public var recordsSent = 0
    /// Records a `route` step sent to its second destination, and how many of them it refused (load errors).
    public var recordsRouted = 0
    public var routedRefused = 0
    /// The reconciliation download (CSV), written with the run's other outputs.
    public var reconciliationPath: String?
    /// What a tax destination was sent and answered, per currency (nil: the destination keeps none).
    public var reconciliation: Reconciliation?
    /// Records a step let through with a warning (a `validate` rule at `level: warning`); in the error report too.
    public var warnings = 0
    public var seconds: Double = 0
    public var resultsPath: String?
    public var errorsCSVPath: String?
    public var errorsNDJSONPath: String?
    /// The file the destination wrote (a `file` destination), when it exists.
    public var destinationPath: String?
    public var failureReason: String?
    /// The run's error records (and warnings) by stage, step, code and field, with counts, first seen first; at
    /// most `maxErrorGroups` groups (the rest is counted in `ungroupedErrors`).
    public var errorGroups: [ErrorGroup] = []
    public var ungroupedErrors = 0
    public static let maxErrorGroups = 50
    /// Up to 20 of the run's error records, for a quick look.
    public var sampleErrors: [RecordError] = []
    /// Why the run stopped before the end of its input, if it did.
    public var stop: RunStop?
    /// The fields of the source's records this run read (the next run's baseline when this one succeeds).
    public var observedSchema: ObservedSchema?
    /// How they differ from the last successful run's (nil: no change, or nothing to compare with).
    public var schemaDrift: SchemaDrift?

    public var recordsFailed: Int { failedByStage.values.reduce(0, +) }

    /// The stored summary's keys that name files on the server (`log_path` is added by the worker):
    /// sealed at rest, and never shown to API clients or sent in webhooks.
    public static let artifactKeys = ["results_path", "errors_csv_path", "errors_ndjson_path", "reconciliation_path",
                                      "log_path"]

    /// The stored summary: the counts, the failure reason, and the paths of the run's reports (null
    /// for a report that was not written). The run's state is kept beside it, not in it.
    public var asValue: Value {
        var o = counts
        o["results_path"] = resultsPath.map(Value.string) ?? .null
        o["errors_csv_path"] = errorsCSVPath.map(Value.string) ?? .null
        o["errors_ndjson_path"] = errorsNDJSONPath.map(Value.string) ?? .null
        o["reconciliation_path"] = reconciliationPath.map(Value.string) ?? .null
        return .object(o)
    }

    /// The stored summary of a run that failed before it read anything (the same shape as any other).
    public static func failed(_ reason: String, pipeline: String? = nil) -> Value {
        var s = RunSummary(pipeline: pipeline ?? "")
        s.status = .failed
        s.failureReason = reason
        guard case .object(var o) = s.asValue else { return s.asValue }
        if pipeline == nil { o["pipeline"] = .null }
        return .object(o)
    }

    /// The summary as `onramp run --json` prints it (docs/pipeline-reference.md): the state, the
    /// counts, the failure reason, and `outputs`: the files this run wrote, by kind.
    public var reportValue: Value {
        var o: Value.Object = ["state": .string(status.rawValue)]
        o.merge(counts) { a, _ in a }
        var outputs = Value.Object()
        for (kind, path) in [("results", resultsPath), ("errors_csv", errorsCSVPath), ("errors_ndjson", errorsNDJSONPath),
                             ("reconciliation", reconciliationPath), ("destination", destinationPath)] {
            if let path { outputs[kind] = .string(path) }
        }
        o["outputs"] = .object(outputs)
        return .object(o)
    }

    var counts: Value.Object {
        var o: Value.Object = [
            "pipeline": .string(pipeline),
            "records_read": .number(Double(recordsRead)), "records_written": .number(Double(recordsWritten)),
            "records_failed": .number(Double(recordsFailed)), "records_routed": .number(Double(recordsRouted)),
        ]
        o["failed_by_stage"] = .object(Value.Object(uniqueKeysWithValues: [Stage.extract, .transform, .load].map { ($0.rawValue, .number(Double(failedByStage[$0] ?? 0))) }))
        o["warnings"] = .number(Double(warnings))
        o["reconciliation"] = reconciliationValue
        o["error_groups"] = .array(errorGroups.map(\.asValue))
        o["seconds"] = .number((seconds * 1000).rounded() / 1000)
        o["failure_reason"] = failureReason.map(Value.string) ?? .null
        o["schema"] = observedSchema?.asValue ?? .null
        o["schema_drift"] = schemaDrift?.asValue ?? .null
        return o
    }
}

/// Error records that share stage, step, code and field: "312 × taxman.InvalidAddress at shipTo.region".
public struct ErrorGroup: Sendable, Hashable {
    public var stage: Stage
    public var step: String?
    public var code: String
    public var field: String?
    public var isWarning: Bool
    public var count = 0
    /// The first record's place and message, as an example.
    public var example: String = ""

    public var asValue: Value {
        ["stage": .string(stage.rawValue), "step": step.map(Value.string) ?? .null, "code": .string(code),
         "field": field.map(Value.string) ?? .null, "severity": isWarning ? "warning" : "error",
         "count": .number(Double(count)), "example": .string(example)]
    }

    /// One line for people: `312 × taxman.InvalidAddress at shipTo.region (load)`.
    public var line: String {
        "\(count) × \(code)" + (field.map { " at \($0)" } ?? "") + " (\(stage.rawValue)" + (step.map { ", \($0)" } ?? "")
            + (isWarning ? ", warning" : "") + ")"
    }
}

extension RunSummary {
    mutating func group(_ e: RecordError) {
        if let i = errorGroups.firstIndex(where: { $0.stage == e.stage && $0.step == e.step && $0.code == e.code
            && $0.field == e.field && $0.isWarning == e.isWarning }) {
            errorGroups[i].count += 1
        } else if errorGroups.count < Self.maxErrorGroups {
            errorGroups.append(ErrorGroup(stage: e.stage, step: e.step, code: e.code, field: e.field, isWarning: e.isWarning,
                                          count: 1, example: "\(e.position): \(e.message.prefix(200))"))
        } else {
            ungroupedErrors += 1
        }
    }

    /// Rows read → records (without extract errors) → sent → accepted / refused (and routed → routed_refused for a
    /// route's second destination), and the money by currency.
    public var reconciliationValue: Value {
        let extractFailed = failedByStage[.extract] ?? 0
        var o: Value.Object = ["rows_read": .number(Double(recordsRead)),
                               "records": .number(Double(recordsRead - extractFailed)),
                               "sent": .number(Double(recordsSent)), "accepted": .number(Double(recordsWritten)),
                               "refused": .number(Double(recordsSent - recordsWritten)),
                               "routed": .number(Double(recordsRouted)), "routed_refused": .number(Double(routedRefused))]
        o["by_currency"] = reconciliation?.asValue ?? .null
        return .object(o)
    }
}

/// Why a run stops at a batch boundary before the end of its input.
public enum RunStop: String, Sendable {
    /// A person asked (the run ends `cancelled`).
    case cancelled
    /// The worker is shutting down: the run goes back to the queue and resumes from its checkpoint.
    case handBack = "hand_back"
    /// Another worker holds the run now (its lease was lost): this attempt stops writing.
    case leaseLost = "lease_lost"

    public var reason: String {
        switch self {
        case .cancelled: "cancelled on request"
        case .handBack: "handed back to the queue: the worker is shutting down"
        case .leaseLost: "the worker lost the run's lease"
        }
    }
}

/// Live counters for a progress display, and how far the source's input is read when the source can tell.
public struct RunProgress: Sendable {
    public var read: Int
    public var written: Int
    public var failed: Int
    public var seconds: Double
    public var input: ReadProgress?

    public init(read: Int, written: Int, failed: Int, seconds: Double, input: ReadProgress? = nil) {
        self.read = read
        self.written = written
        self.failed = failed
        self.seconds = seconds
        self.input = input
    }

    /// 0…1 of the input read, when known.
    public var fraction: Double? { input?.fraction }

    /// Seconds left at the rate so far, when the fraction is known and past 1 % (earlier guesses swing wildly).
    public var secondsLeft: Double? {
        guard let f = fraction, f >= 0.01, seconds > 0 else { return nil }
        return seconds * (1 - f) / f
    }

    /// `{read, written, failed, seconds, fraction, seconds_left}` for the API.
    public var asValue: Value {
        ["read": .number(Double(read)), "written": .number(Double(written)), "failed": .number(Double(failed)),
         "seconds": .number((seconds * 10).rounded() / 10), "fraction": fraction.map { .number(($0 * 1000).rounded() / 1000) } ?? .null,
         "seconds_left": secondsLeft.map { .number($0.rounded()) } ?? .null]
    }
}
