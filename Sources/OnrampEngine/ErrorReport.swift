import Foundation
import OnrampConnectorKit
import OnrampCore

/// The error report of a run: every failed record, as CSV (for people) and NDJSON (for programs).
actor ErrorReport {
    let csv: any RecordSink
    let ndjson: any RecordSink

    let redact: Redactor

    init(basePath: String, append: Bool, budget: OutputBudget?, redact: Redactor, registry: ConnectorRegistry) throws {
        csv = try registry.makeSink(SinkRequest(path: basePath + ".csv", format: .csv, append: append, budget: budget))
        ndjson = try registry.makeSink(SinkRequest(path: basePath + ".ndjson", format: .ndjson, append: append, budget: budget))
        self.redact = redact
    }

    func append(_ errors: [RecordError]) async throws {
        guard !errors.isEmpty else { return }
        let values = errors.map { redact.value($0.asValue) }
        // The NDJSON report also holds the source record of a record that failed after the first step, or the step
        // a replay re-enters at when that record is not known.
        try await ndjson.write(zip(errors, values).map { e, v in
            guard e.source != nil || e.reentryStep != nil, case .object(var o) = v else { return v }
            if let source = e.source { o["source"] = redact.value(source) }
            if let step = e.reentryStep { o["reentry_step"] = .number(Double(step)) }
            return .object(o)
        })
        try await csv.write(values.map { v in
            guard case .object(var o) = v else { return v }
            if let value = o["value"] { o["value"] = value.isNull ? .string("") : .string(value.stringValue ?? JSONWriter.string(value)) }
            return .object(o)
        })
    }

    func close() async throws {
        try await csv.close(creating: false)
        try await ndjson.close(creating: false)
    }
}
