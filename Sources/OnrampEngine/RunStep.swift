import OnrampConnectorKit
import OnrampCore
import OnrampTransforms

/// One step of a run or a preview: a built-in step, or a transform a connector package or plugin registered
/// (`ConnectorRegistry.transforms`, by the step's key; a built-in type always wins), whose config is validated
/// against its schema.
public final class RunStep {
    let step: (any Step)?
    let transform: (any RecordTransform)?
    let label: String

    /// Builds `spec`; a plugin transform is started only on its first batch.
    init(_ spec: PipelineSpec.StepSpec, registry: ConnectorRegistry, resources: ConnectorResources) throws {
        label = spec.name ?? spec.path
        if let (t, config) = try Self.transform(spec, registry: registry) {
            transform = try t.build(config, label, resources)
            step = nil
        } else {
            step = try StepFactory.make(spec)
            transform = nil
        }
    }

    /// Checks a step's type and config without building a plugin's process.
    public static func validate(_ spec: PipelineSpec.StepSpec, registry: ConnectorRegistry) throws {
        if try transform(spec, registry: registry) != nil { return }
        guard StepFactory.types.contains(spec.type) || registry.transforms.isEmpty else {
            throw OnrampError("spec.step", "unknown step type '\(spec.type)'; expected one of "
                              + (StepFactory.types + registry.transforms.keys.sorted()).joined(separator: ", "), at: spec.path)
        }
        _ = try StepFactory.make(spec)
    }

    /// The registered transform `spec` names, with its validated config (nil: a built-in type, which always wins).
    private static func transform(_ spec: PipelineSpec.StepSpec, registry: ConnectorRegistry) throws
        -> (TransformSpec, Value)? {
        guard !StepFactory.types.contains(spec.type), let t = registry.transforms[spec.type] else { return nil }
        return (t, try JSONSchema.validate(spec.config, against: t.configSchema, at: spec.path))
    }

    var tableStep: (any TableStep)? { step as? any TableStep }
    var isIdle: Bool { step?.isIdle ?? true }

    func process(_ records: [Record], errors: inout [RecordError]) async throws -> [Record] {
        if let step { return step.process(records, errors: &errors) }
        guard let transform, !records.isEmpty else { return records }
        let (out, failed) = try await transform.transform(records)
        errors += failed
        return out
    }

    func finish(errors: inout [RecordError]) -> [Record] { step?.finish(errors: &errors) ?? [] }

    func close() async throws { try await transform?.close() }
}
