import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
@testable import OnrampFileFormats
import Testing

/// File reads say how far they are (bytes of their files), which the CLI's bar and the API's estimate are made of.
@Suite struct ReadProgressTests {
    static func fractions(_ format: String, paths: [String], batchSize: Int) async throws -> [Double] {
        let f = try FileFormat.make(format, options: [:], at: "source.config")
        let files = paths.map { FileInput(path: $0, name: URL(fileURLWithPath: $0).lastPathComponent, fingerprint: "1") }
        var reader = f.reader(files: files, batchSize: batchSize)
        var out: [Double] = []
        while let batch = try await reader.next() { out.append(try #require(batch.progress?.fraction)) }
        await reader.close()
        return out
    }

    @Test(arguments: ["csv", "ndjson"])
    func progressRisesToTheWholeOfTheFiles(_ format: String) async throws {
        let dir = try FormatHarness.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var paths: [String] = []
        for file in 0..<2 {
            let rows = (0..<40_000).map { format == "csv" ? "\($0),name \($0),\($0 * 3)" : #"{"id": \#($0), "f": \#(file)}"# }
            let text = (format == "csv" ? "id,name,amount\n" : "") + rows.joined(separator: "\n") + "\n"
            let path = dir.appendingPathComponent("in\(file).\(format)").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let fractions = try await Self.fractions(format, paths: paths, batchSize: 5_000)
        #expect(fractions.count >= 16)
        #expect(zip(fractions, fractions.dropFirst()).allSatisfy { $0 <= $1 }, "\(fractions)")
        // JSON files are parsed whole: their bytes are all taken at the file's first batch.
        #expect(fractions.first! <= 0.5 && fractions.last == 1, "\(fractions)")
    }

    @Test func theTimeLeftIsKnownOnlyOnceTheFractionIs() {
        #expect(RunProgress(read: 10, written: 10, failed: 0, seconds: 4).secondsLeft == nil)
        let quarter = RunProgress(read: 10, written: 10, failed: 0, seconds: 4, input: ReadProgress(done: 25, total: 100))
        #expect(quarter.fraction == 0.25 && quarter.secondsLeft == 12)
        #expect(RunProgress(read: 1, written: 0, failed: 0, seconds: 4, input: ReadProgress(done: 0, total: 100)).secondsLeft == nil)
        #expect(ReadProgress(done: 5, total: 0).fraction == nil)
        #expect(quarter.asValue["seconds_left"] == .number(12) && quarter.asValue["fraction"] == .number(0.25))
    }
}
