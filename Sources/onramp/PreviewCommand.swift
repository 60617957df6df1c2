import ArgumentParser
import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampTransforms

struct PreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "preview", abstract: "Show the first N records after each step, as JSON (nothing is sent).")
    @Argument var file: String
    @Option(help: "How many source records to read.") var limit = 5

    func run() async throws {
        do {
            let spec = try PipelineLoader.load(path: file, registry: .build())
            let out = try await PipelinePreview.run(spec, registry: .build(), resources: .forPipeline(file), limit: limit)
            print(JSONWriter.string(out, pretty: true))
        } catch {
            report(error)
            throw ExitCode(2)
        }
    }
}
