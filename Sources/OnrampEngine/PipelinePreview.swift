import OnrampConnectorKit
import OnrampCore
import OnrampTransforms

/// Where a dry run sends a preview's mapped records: the in-process sandbox, or the pipeline's own destination with
/// `dryrun-` idempotency keys.
public enum DryRun: String, Codable, Sendable { case sandbox, configured }

/// The first records of a pipeline after each step, and the errors they met; nothing is sent, except to a dry run's
/// target: then `dry_run` holds each record's answer (its tax, or the refusal with its code and field).
public enum PipelinePreview {
    public static func run(_ spec: PipelineSpec, registry: ConnectorRegistry, resources: ConnectorResources, limit: Int,
                           dryRun: DryRun? = nil) async throws -> Value {
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
        if let dryRun {
            out["dry_run"] = try await send(Array(records.prefix(limit)), spec: spec, to: dryRun, registry: registry,
                                            resources: resources)
        }
        out["errors"] = .array(errors)
        return .object(out)
    }

    static func send(_ records: [Record], spec: PipelineSpec, to target: DryRun, registry: ConnectorRegistry,
                     resources: ConnectorResources) async throws -> Value {
        var resources = resources
        let ref: PipelineSpec.ConnectorRef
        switch target {
        case .sandbox:
            guard let sandbox = registry.dryRunDestination else {
                throw OnrampError("preview.no_sandbox", "this build has no sandbox to dry-run against")
            }
            ref = sandbox
        case .configured:
            ref = spec.destination
            guard registry.destinations[ref.connector]?.takesDryRuns == true else {
                throw OnrampError("preview.dry_run", "a dry run cannot send to '\(ref.connector)': it does not mark what it "
                                  + "sends as a test (taxman does); use the sandbox", at: "destination.connector")
            }
            resources.idempotencyPrefix = "dryrun-"
        }
        let destination = try registry.makeDestination(ref, resources: resources)
        let outcomes: [RecordOutcome]
        do {
            outcomes = try await destination.write(records)
            try await destination.close()
        } catch {
            try? await destination.close()
            throw error
        }
        var answers: [Value] = []
        for (r, o) in zip(records, outcomes) {
            var entry: Value.Object = ["at": .string(r.position.description), "sent": r.value]
            switch o {
            case .ok(let result): entry["result"] = result ?? .null
            case .failed(let code, let message): entry["error"] = ["code": .string(code), "message": .string(message)]
            }
            answers.append(.object(entry))
        }
        return ["target": .string(target == .sandbox ? "sandbox" : ref.connector), "answers": .array(answers)]
    }
}
