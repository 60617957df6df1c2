import OnrampConnectorKit
import OnrampCore
import OnrampExpression

/// Builds step instances from a pipeline's `steps`, validating each step's configuration.
public enum StepFactory {
    /// Every built-in step type, in the order the docs and the designer list them.
    public static let specs: [StepSpec] = coreSpecs + [
        LookupStep.spec, ValidateStep.spec, CastStep.spec, CleanStep.spec, DefaultStep.spec, CoalesceStep.spec,
        DedupeStep.spec, UnnestStep.spec, ScriptStep.splitSpec, AggregateStep.spec, SortStep.spec, RouteStep.spec,
        ScriptStep.scriptSpec,
    ]
    public static let byName = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })
    /// The step types whose builders check their own config (they predate the schemas, and their messages are kept).
    public static let selfChecked: Set<String> = ["map", "filter", "set", "rename", "drop", "group"]
    public static let types = specs.map(\.name)

    /// The catalog entries of the built-in steps (kind `step`), as the API and `onramp connectors` show them.
    public static var catalog: [Value] { specs.map(\.catalogEntry) }

    /// Each step's config table and example by its docs region name (`step/lookup`), for
    /// `onramp connectors --update-docs docs/steps.md`.
    public static var docsRegions: [String: String] {
        Dictionary(uniqueKeysWithValues: specs.map {
            ("step/\($0.name)", ConnectorRegistry.configTable($0.configSchema) + "\n\n```yaml\n\($0.example)\n```")
        })
    }

    public static func make(_ spec: PipelineSpec.StepSpec, context: StepContext = StepContext()) throws -> any Step {
        guard let builtin = byName[spec.type] else {
            throw OnrampError("spec.step", "unknown step type '\(spec.type)'; expected one of \(types.joined(separator: ", "))",
                              at: spec.path)
        }
        let config = selfChecked.contains(spec.type) ? spec.config
            : try JSONSchema.validate(spec.config, against: builtin.configSchema, at: spec.path)
        return try builtin.build(config, spec, context)
    }

    static func compile(_ v: Value, _ path: String) throws(OnrampError) -> JSONata {
        guard case .string(let source) = v else { throw OnrampError("spec.type", "must be a JSONata expression (string)", at: path) }
        do {
            return try JSONata(source)
        } catch {
            throw OnrampError("expr.\(error.code)", "\(error.message) at character \(error.position ?? 0)", at: path)
        }
    }

    static func evaluationError(_ e: JSONataError, _ record: Record, _ label: String) -> RecordError {
        RecordError(stage: .transform, position: record.position, code: "expr.\(e.code)", message: e.message, step: label, value: record.value)
    }
}
