import OnrampConnectorKit
import OnrampCore
import OnrampExpression

/// A built-in step type: its key in a pipeline's `steps`, a summary, the JSON Schema of its config (validation,
/// docs and the designer's forms), an example and the constructor that builds it from a validated config.
public struct StepSpec: Sendable {
    public let name: String
    public let summary: String
    public let configSchema: Value
    /// A YAML example of the step, as it appears in a pipeline's `steps`.
    public let example: String
    let build: @Sendable (_ config: Value, _ spec: PipelineSpec.StepSpec, _ context: StepContext) throws -> any Step

    init(name: String, summary: String, configSchema: Value, example: String,
         build: @escaping @Sendable (Value, PipelineSpec.StepSpec, StepContext) throws -> any Step) {
        self.name = name
        self.summary = summary
        self.configSchema = configSchema
        self.example = example
        self.build = build
    }

    /// A step whose whole config is one JSONata expression (map, filter, split, script).
    static func expression(name: String, summary: String, title: String, description: String, example: String,
                           make: @escaping @Sendable (JSONata, _ label: String, JSONata.FunctionRegistry) -> any Step)
        -> StepSpec {
        StepSpec(name: name, summary: summary, configSchema: Schema.expression(title, description), example: example,
                 build: { config, spec, context in
                     make(try StepFactory.compile(config, spec.path), spec.name ?? spec.path, context.functions)
                 })
    }

    /// The catalog entry the API and the CLI show, in the shape of a connector's.
    public var catalogEntry: Value {
        ["kind": "step", "name": .string(name), "summary": .string(summary), "config_schema": configSchema,
         "example": .string(example)]
    }
}

/// Small builders for the step schemas.
enum Schema {
    static func string(_ title: String, _ description: String, extra: Value.Object = [:]) -> Value {
        var o: Value.Object = ["type": "string", "title": .string(title), "description": .string(description)]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    static func expression(_ title: String, _ description: String) -> Value {
        string(title, description, extra: ["format": "jsonata", "minLength": 1])
    }

    static func field(_ title: String, _ description: String) -> Value {
        string(title, description, extra: ["format": "field-path", "minLength": 1])
    }

    static func boolean(_ title: String, _ description: String, default d: Bool) -> Value {
        ["type": "boolean", "title": .string(title), "description": .string(description), "default": .bool(d)]
    }

    static func integer(_ title: String, _ description: String, min: Double, max: Double, default d: Double? = nil) -> Value {
        var o: Value.Object = ["type": "integer", "title": .string(title), "description": .string(description),
                               "minimum": .number(min), "maximum": .number(max)]
        if let d { o["default"] = .number(d) }
        return .object(o)
    }

    static func choice(_ title: String, _ description: String, _ options: [String], default d: String? = nil) -> Value {
        var o: Value.Object = ["type": "string", "title": .string(title), "description": .string(description),
                               "enum": .array(options.map(Value.string))]
        if let d { o["default"] = .string(d) }
        return .object(o)
    }

    static func fields(_ title: String, _ description: String) -> Value {
        ["type": "array", "title": .string(title), "description": .string(description),
         "items": field("Field", "A field path")]
    }

    static func object(_ properties: Value.Object, required: [String] = []) -> Value {
        ["type": "object", "additionalProperties": false, "required": .array(required.map(Value.string)),
         "properties": .object(properties)]
    }

    /// An object whose keys the user chooses (field names), each value matching `values`.
    static func map(_ title: String, _ description: String, values: Value) -> Value {
        ["type": "object", "title": .string(title), "description": .string(description), "additionalProperties": values]
    }
}
