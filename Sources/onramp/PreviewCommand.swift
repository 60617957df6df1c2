import ArgumentParser
import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampTransforms

struct PreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "preview", abstract: "Show the first N records after each step, as JSON (nothing is sent).")
    @OptionGroup var pluginOptions: PluginOptions
    @Argument var file: String
    @Option(help: "How many source records to read.") var limit = 5

    func run() async throws {
        do {
            let registry = try pluginOptions.registry()
            let spec = try PipelineLoader.load(path: file, registry: registry)
            let out = try await PipelinePreview.run(spec, registry: registry, resources: .forPipeline(file), limit: limit)
            print(JSONWriter.string(out, pretty: true))
        } catch {
            report(error)
            throw ExitCode(2)
        }
    }
}
