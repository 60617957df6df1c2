import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore

/// The error report of a run: every failed record, as CSV (for people) and NDJSON (for programs).
actor ErrorReport {
    let csv: RecordFileWriter
    let ndjson: RecordFileWriter

    let redact: Redactor

    init(basePath: String, append: Bool, budget: OutputBudget?, redact: Redactor) {
        csv = RecordFileWriter(path: basePath + ".csv", format: .csv, append: append, budget: budget)
        ndjson = RecordFileWriter(path: basePath + ".ndjson", format: .ndjson, append: append, budget: budget)
        self.redact = redact
    }

    func append(_ errors: [RecordError]) async throws {
        guard !errors.isEmpty else { return }
        let values = errors.map { redact.value($0.asValue) }
        try await ndjson.write(values)
        try await csv.write(values.map { v in
            guard case .object(var o) = v else { return v }
            if let value = o["value"] { o["value"] = value.isNull ? .string("") : .string(value.stringValue ?? JSONWriter.string(value)) }
            return .object(o)
        })
    }

    func close() async throws {
        try await csv.close()
        try await ndjson.close()
    }
}
