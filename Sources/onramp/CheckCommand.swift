import ArgumentParser
import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine

/// `onramp check FILE`: tests that a pipeline's source and destination reach their systems.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Test that a pipeline's source and destination can be reached; exit 1 when one cannot.")
    @OptionGroup var pluginOptions: PluginOptions
    @Argument(help: "The pipeline file.") var file: String

    func run() async throws {
        let registry = try pluginOptions.registry()
        let spec: PipelineSpec
        do { spec = try PipelineLoader.load(path: file, registry: registry) } catch {
            report(error)
            throw ExitCode(2)
        }
        var failed = false
        for (side, ref) in [(ConnectorRegistry.Side.source, spec.source), (.destination, spec.destination)] {
            do {
                let check = try await registry.check(ref, side: side, resources: .forPipeline(file))
                print("\(side.rawValue) \(ref.connector): ok: \(check.message)")
            } catch {
                failed = true
                print("\(side.rawValue) \(ref.connector): failed: \(error)")
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// `onramp discover FILE`: the streams a pipeline's source offers, as JSON.
struct DiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover", abstract: "List the streams (tables, resources, files) a pipeline's source offers, as JSON.")
    @OptionGroup var pluginOptions: PluginOptions
    @Argument(help: "The pipeline file.") var file: String

    func run() async throws {
        do {
            let registry = try pluginOptions.registry()
            let spec = try PipelineLoader.load(path: file, registry: registry)
            let streams = try await registry.discover(spec.source, resources: .forPipeline(file))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(["streams": streams]), as: UTF8.self))
        } catch {
            report(error)
            throw ExitCode(2)
        }
    }
}
