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
    @Flag(help: "Also send the mapped records to the TAXMAN sandbox (in process) and show each one's tax or refusal.")
    var dryRun = false
    @Flag(help: "With --dry-run: send to the pipeline's own destination instead, with dryrun- idempotency keys.")
    var againstConfigured = false

    func run() async throws {
        do {
            let registry = try pluginOptions.registry()
            let spec = try PipelineLoader.load(path: file, registry: registry)
            guard dryRun || !againstConfigured else { throw ValidationError("--against-configured needs --dry-run") }
            let out = try await PipelinePreview.run(spec, registry: registry, resources: .forPipeline(file), limit: limit,
                                                    dryRun: dryRun ? (againstConfigured ? .configured : .sandbox) : nil)
            print(JSONWriter.string(out, pretty: true))
        } catch {
            report(error)
            throw ExitCode(2)
        }
    }
}
