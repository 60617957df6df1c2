import OnrampCore
import OnrampExpression

/// Builds step instances from a pipeline's `steps`, validating each step's configuration.
public enum StepFactory {
    public static let types = ["map", "filter", "set", "rename", "drop", "group"]

    public static func make(_ spec: PipelineSpec.StepSpec, functions: JSONata.FunctionRegistry = CleansingFunctions.registry) throws(OnrampError) -> any Step {
        let label = spec.name ?? spec.path
        switch spec.type {
        case "map":
            return ExpressionStep(kind: .map, expression: try compile(spec.config, spec.path), label: label, functions: functions)
        case "filter":
            return ExpressionStep(kind: .filter, expression: try compile(spec.config, spec.path), label: label, functions: functions)
        case "set":
            guard case .object(let o) = spec.config, !o.isEmpty else {
                throw OnrampError("spec.type", "must be an object of field: expression", at: spec.path)
            }
            var fields: [(String, JSONata)] = []
            for (k, v) in o { fields.append((k, try compile(v, "\(spec.path).\(k)"))) }
            return SetStep(fields: fields, label: label, functions: functions)
        case "rename":
            guard case .object(let o) = spec.config, !o.isEmpty else {
                throw OnrampError("spec.type", "must be an object of old_name: new_name", at: spec.path)
            }
            var pairs: [(String, String)] = []
            for (k, v) in o {
                guard case .string(let to) = v, !to.isEmpty else { throw OnrampError("spec.type", "must be a field name", at: "\(spec.path).\(k)") }
                pairs.append((k, to))
            }
            return RenameStep(pairs: pairs, label: label)
        case "drop":
            guard case .array(let a) = spec.config, !a.isEmpty else { throw OnrampError("spec.type", "must be a list of field names", at: spec.path) }
            var names: [String] = []
            for (i, v) in a.enumerated() {
                guard case .string(let s) = v else { throw OnrampError("spec.type", "must be a field name", at: "\(spec.path)[\(i)]") }
                names.append(s)
            }
            return DropStep(fields: Set(names), label: label)
        case "group":
            return try GroupStep(config: spec.config, path: spec.path, label: label, functions: functions)
        default:
            throw OnrampError("spec.step", "unknown step type '\(spec.type)'; expected one of \(types.joined(separator: ", "))", at: spec.path)
        }
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
