import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampEngine
import Testing

/// One pipeline run per format: the file source reads the fixture, a map step reshapes it, the file destination writes it.
@Suite struct FormatPipelineTests {
    static func registry() -> ConnectorRegistry {
        var r = ConnectorRegistry()
        FileConnectors.register(into: &r)
        return r
    }

    @Test(arguments: [
        ("csv", "orders.csv.gz", "", "id", ["1", "2"], 0),
        ("ndjson", "orders.ndjson.gz", "", "id", ["1", "2"], 0),
        ("json", "orders.json.gz", "", "id", ["1", "2"], 0),
        ("xml", "orders.xml.gz", "records_path: Orders/Order", "`@id`", ["1", "2"], 0),
        ("xlsx", "orders.xlsx", "sheet: Orders", "note", ["Acme", "Acme"], 1),
        ("xlsx", "orders.xlsx.gz", "sheet: Orders, cell_errors: \"null\"", "ordered", ["2024-02-29", "1900-02-28", "null"], 0),
    ])
    func aPipelineReadsTheFormat(_ connector: String, _ file: String, _ options: String, _ field: String,
                                 _ expected: [String], _ failed: Int) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-fmt-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(atPath: FormatHarness.fixture(file), toPath: dir.appendingPathComponent(file).path)
        let spec = try PipelineLoader.parse("""
        version: 1
        name: formats
        source:
          connector: \(connector)
          config: { path: "\(file)"\(options.isEmpty ? "" : ", " + options) }
        steps:
          - map: '{"v": $string(\(field))}'
        destination: { connector: file, config: { path: out.ndjson } }
        """)
        let summary = await PipelineRunner(spec: spec, registry: Self.registry(), resources: ConnectorResources(files: .local(dir.path)),
                                           checkpoints: FileCheckpointStore(directory: dir.path + "/state"),
                                           outputDirectory: dir.path).run()
        #expect(summary.failureReason == nil, "\(summary.failureReason ?? "")")
        #expect(summary.recordsRead == expected.count + failed && summary.recordsWritten == expected.count)
        #expect(summary.recordsFailed == failed)
        let lines = try String(contentsOf: dir.appendingPathComponent("out.ndjson"), encoding: .utf8).split(separator: "\n")
        let values = try lines.map { try JSONParser.parse(Array($0.utf8))["v"]?.stringValue ?? "?" }
        #expect(values == expected)
    }
}
