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

/// Hostile pipeline documents cost the server linear time and bounded memory.
@Suite struct HostileDocumentTests {
    @Test func placeholderScanningIsLinear() throws {
        let bomb = String(repeating: "${", count: 200_000) + "${env:REAL}" + String(repeating: "${env:${secret:", count: 50_000)
        let refs = Placeholders.references(in: .string(bomb))
        #expect(refs.count == 1 && refs.first?.name == "REAL")
        #expect(Placeholders.references(in: "a ${secret:TAXMAN_KEY} b ${param:X.y-z}").map(\.name) == ["TAXMAN_KEY", "X.y-z"])
    }

    @Test func aliasBombsAreRefused() throws {
        var yaml = "version: 1\nname: x\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...7 { yaml += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        #expect(yaml.utf8.count < 600)
        #expect(throws: OnrampError.self) { _ = try PipelineLoader.document(yaml, file: "bomb.yaml") }
        do { _ = try PipelineLoader.document(yaml, file: "bomb.yaml") } catch let e as OnrampError { #expect(e.code == "spec.too_large") }
    }
}
