import OnrampConnectorKit
import OnrampCore
import OnrampTransforms

/// The first records of a pipeline after each step, and the errors they met; nothing is sent.
public enum PipelinePreview {
    public static func run(_ spec: PipelineSpec, registry: ConnectorRegistry, resources: ConnectorResources, limit: Int) async throws -> Value {
        let source = try registry.makeSource(spec.source, resources: resources)
        var reader = try await source.open(checkpoint: nil, batchSize: limit)
        let batch: SourceBatch
        do { batch = try await reader.next() ?? SourceBatch() } catch {
            await reader.close()
            throw error
        }
        await reader.close()
        var records = Array(batch.allRecords().prefix(limit))
        var out: Value.Object = ["source": .array(records.map(\.value))]
        var errors = batch.errors.map(\.asValue)
        for s in spec.steps {
            let step = try await RunStep.make(s, registry: registry, resources: resources, scratch: nil, sending: false)
            var e: [RecordError] = []
            do {
                records = try await step.process(records, errors: &e)
                while records.count < limit * 10 {
                    let more = try await step.finish(errors: &e)
                    if more.isEmpty { break }
                    records += more
                }
                try await step.close()
            } catch {
                try? await step.close()
                throw error
            }
            errors += e.map(\.asValue)
            out[s.name ?? s.path] = .array(records.map(\.value))
            if !step.routedInPreview.isEmpty { out["\(s.name ?? s.path) routed"] = .array(step.routedInPreview.map(\.value)) }
        }
        out["errors"] = .array(errors)
        return .object(out)
    }
}
