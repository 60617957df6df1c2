import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampEngine
import Testing

/// A path or glob that matches nothing is an error on a full load, and "nothing new" on an incremental one.
@Suite struct MissingSourceTests {
    static func registry() -> ConnectorRegistry {
        var r = ConnectorRegistry()
        FileConnectors.register(into: &r)
        return r
    }

    func run(_ dir: URL, connector: String, incremental: Bool) async throws -> RunSummary {
        let spec = try PipelineLoader.parse("""
        version: 1
        name: missing
        source:
          connector: \(connector)
          config: { path: "nothere-*.\(connector)" }
          \(incremental ? "incremental: { mode: new_files }" : "")
        destination: { connector: file, config: { path: out.ndjson } }
        """)
        return await PipelineRunner(spec: spec, registry: Self.registry(), resources: ConnectorResources(files: .local(dir.path)),
                                    checkpoints: FileCheckpointStore(directory: dir.path + "/state"), outputDirectory: dir.path).run()
    }

    @Test(arguments: ["csv", "ndjson", "json"])
    func aFullLoadOfNothingFailsNamingThePath(_ connector: String) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-missing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = try await run(dir, connector: connector, incremental: false)
        #expect(full.status == .failed)
        #expect(full.failureReason?.contains("source.not_found") == true && full.failureReason?.contains("nothere-*.\(connector)") == true,
                "\(full.failureReason ?? "")")
        #expect(full.failureReason?.contains("source.config.path") == true)
        let incremental = try await run(dir, connector: connector, incremental: true)
        #expect(incremental.status == .succeeded && incremental.recordsRead == 0)
    }
}
