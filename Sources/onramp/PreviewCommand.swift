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
            let spec = try PipelineLoader.load(path: file)
            let source = try ConnectorRegistry.build().makeSource(spec.source, resources: .forPipeline(file))
            var reader = try await source.open(checkpoint: nil, batchSize: limit)
            let batch = try await reader.next() ?? SourceBatch()
            var records = Array(batch.records.prefix(limit))
            var out: Value.Object = ["source": .array(records.map(\.value))]
            var errors = batch.errors.map(\.asValue)
            for s in spec.steps {
                let step = try StepFactory.make(s)
                var e: [RecordError] = []
                records = step.process(records, errors: &e)
                records += step.finish(errors: &e)
                errors += e.map(\.asValue)
                out[s.name ?? s.path] = .array(records.map(\.value))
            }
            out["errors"] = .array(errors)
            print(JSONWriter.string(.object(out), pretty: true))
        } catch {
            report(error)
            throw ExitCode(2)
        }
    }
}
