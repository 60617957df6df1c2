import Foundation
import OnrampConnectorsFiles
import OnrampCore

/// The error report of a run: every failed record, as CSV (for people) and NDJSON (for programs).
actor ErrorReport {
    let csv: RecordFileWriter
    let ndjson: RecordFileWriter

    init(basePath: String) throws {
        csv = try RecordFileWriter(path: basePath + ".csv", format: .csv)
        ndjson = try RecordFileWriter(path: basePath + ".ndjson", format: .ndjson)
    }

    func append(_ errors: [RecordError]) async throws {
        guard !errors.isEmpty else { return }
        let values = errors.map(\.asValue)
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
