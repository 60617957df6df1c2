import Foundation
import OnrampConnectorKit
import OnrampCore
@testable import OnrampFileFormats

/// Reads files through a format the way a file source does, collecting every batch.
enum FormatHarness {
    struct Output {
        var records: [Record] = []
        var errors: [RecordError] = []
        var batches = 0
        var values: [Value] { records.map(\.value) }
    }

    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// A fresh temporary directory, removed by the caller.
    static func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-fmt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes `text` to a new temporary file named `name`; its path.
    static func write(_ text: String, name: String = "in.xml") throws -> String {
        let path = try directory().appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func read(_ format: String, _ config: Value = [:], paths: [String], batchSize: Int = 3) async throws -> Output {
        let f = try FileFormat.make(format, options: config, at: "source.config")
        return try await read(f, paths: paths, batchSize: batchSize)
    }

    static func read(_ format: FileFormat, paths: [String], batchSize: Int = 3) async throws -> Output {
        let files = paths.map { FileInput(path: $0, name: URL(fileURLWithPath: $0).lastPathComponent, fingerprint: "1") }
        var reader = format.reader(files: files, batchSize: batchSize)
        var out = Output()
        while let batch = try await reader.next() {
            out.batches += 1
            out.records += batch.allRecords()
            out.errors += batch.errors
        }
        await reader.close()
        return out
    }
}
