import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampEngine
@testable import OnrampPlugins

/// Installs the test plugins (and the example) into a fresh plugins directory through `PluginInstaller`, and runs
/// pipelines over them into NDJSON files with their checkpoints in files.
struct PluginBench {
    let root: URL
    let plugins: String
    let registry: ConnectorRegistry
    static let testPlugins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Plugins")
    static let examplePlugins = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/plugins")

    /// `names` from Tests/OnrampPluginsTests/Plugins (or examples/plugins), installed by copying their folders.
    init(_ names: [String], extra: [String: String] = [:], runAs: PluginLaunch.RunAs? = .hostDefault) async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        chmod(root.path, 0o777)   // the plugins' user writes the destination's files here
        plugins = root.path + "/plugins"
        let installer = PluginInstaller(directory: plugins)
        for name in names {
            let local = Self.testPlugins.appendingPathComponent(name)
            let folder = FileManager.default.fileExists(atPath: local.path) ? local : Self.examplePlugins.appendingPathComponent(name)
            _ = try await installer.install(.init(source: folder.path))
        }
        for (name, path) in extra { _ = try await installer.install(.init(source: path, name: name)) }
        // The Singer test taps' shared module, where they look for it: beside their folders.
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        let shared = plugins + "/singer_test_tap.py"
        try FileManager.default.copyItem(atPath: Self.testPlugins.appendingPathComponent("singer_test_tap.py").path, toPath: shared)
        chmod(shared, 0o644)
        var r = ConnectorRegistry()
        FileConnectors.register(into: &r)
        let loaded = PluginConnectors.register(into: &r, directory: plugins, runAs: runAs)
        precondition(loaded.skipped.isEmpty, "\(loaded.skipped)")
        registry = r
    }

    /// A bench over plugins installed elsewhere (scripts/plugins-test.sh's).
    init(registry: ConnectorRegistry) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        plugins = root.path + "/plugins"
        self.registry = registry
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// Runs `source` (YAML flow mapping) into `out.ndjson`; checkpoints persist across runs of the same bench.
    func run(_ source: String, batchSize: Int = 1000, name: String = "p") async throws -> (RunSummary, [Value]) {
        let spec = try PipelineLoader.parse("""
        version: 1
        name: \(name)
        batch_size: \(batchSize)
        source: \(source)
        destination: {connector: file, config: {path: "\(root.path)/\(name)-out.ndjson", format: ndjson}}
        """)
        try? FileManager.default.removeItem(atPath: "\(root.path)/\(name)-out.ndjson")
        let runner = PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                                    checkpoints: FileCheckpointStore(directory: root.path + "/state"),
                                    outputDirectory: root.path + "/runs/\(UUID().uuidString)")
        let summary = await runner.run()
        let text = (try? String(contentsOfFile: "\(root.path)/\(name)-out.ndjson", encoding: .utf8)) ?? ""
        return (summary, try text.split(separator: "\n").map { try JSONParser.parse(String($0)) })
    }

    func checkpoint(_ name: String = "p") -> Value? {
        FileManager.default.contents(atPath: root.path + "/state/\(name).checkpoint.json").flatMap { try? JSONParser.parse([UInt8]($0)) }
    }

    func errors(_ summary: RunSummary) -> [Value] {
        guard let path = summary.errorsNDJSONPath, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }

    func source(_ name: String) throws -> any Source {
        try registry.makeSource(PipelineSpec.ConnectorRef(connector: name, config: ["settings": [:]], incremental: nil),
                                resources: ConnectorResources())
    }
}
