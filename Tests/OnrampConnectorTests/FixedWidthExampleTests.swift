import Foundation
import OnrampConnectorKit
import OnrampCore
import Testing

/// The SDK guide's example: a line that ends before a column starts is an error record with its line,
/// and the lines around it are read.
@Suite struct FixedWidthExampleTests {
    @Test func aShortLineIsAnErrorRecordAndTheOthersGoOn() async throws {
        let dir = try ConnectorConformanceTests.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("export.txt").path
        try "A0001   12.50 DE\r\nA0002\r\nA0003    7.00 \r\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config: Value = ["path": .string(path), "columns": [["name": "order", "start": 1, "length": 8],
                                                                 ["name": "total", "start": 9, "length": 6],
                                                                 ["name": "country", "start": 15, "length": 3]]]
        let source = try TestRegistry.all.makeSource(PipelineSpec.ConnectorRef(connector: "fixed_width", config: config, incremental: nil),
                                                     resources: ConnectorResources())
        var reader = try await source.open(checkpoint: nil, batchSize: 10)
        let batch = try #require(try await reader.next())
        await reader.close()
        #expect(batch.records.map(\.value) == [["order": "A0001", "total": "12.50", "country": "DE"],
                                               ["order": "A0003", "total": "7.00", "country": ""]])
        #expect(batch.errors.map { "\($0.position.line ?? 0) \($0.code)" } == ["2 fixed_width.short_line"])
    }
}
