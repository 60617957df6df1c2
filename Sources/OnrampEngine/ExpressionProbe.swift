import OnrampCore
import OnrampExpression
import OnrampTransforms

/// A JSONata expression as an editor probes it: compiled (its first error with its position, or the input fields it
/// reads), or evaluated on a sample record with the functions steps have. A failure is an answer (`ok: false`).
public enum ExpressionProbe {
    public static let evaluationLimits = JSONata.Limits(maxDepth: 500, timeout: .seconds(2))

    public static func compiled(_ source: String) -> Value {
        do throws(JSONataError) {
            let expression = try JSONata(source)
            return ["ok": true, "fields": .array(Set(expression.inputFields.names.map(\.name)).sorted().map(Value.string))]
        } catch {
            return ["ok": false, "error": errorValue(error)]
        }
    }

    public static func evaluated(_ source: String, on input: Value?) -> Value {
        do throws(JSONataError) {
            let result = try JSONata(source).evaluate(input, functions: CleansingFunctions.registry, limits: evaluationLimits)
            var out: Value.Object = ["ok": true]
            if let result { out["result"] = result }
            return .object(out)
        } catch {
            return ["ok": false, "error": errorValue(error)]
        }
    }

    static func errorValue(_ error: JSONataError) -> Value {
        var out: Value.Object = ["code": .string(error.code), "message": .string(error.message)]
        if let position = error.position { out["position"] = .number(Double(position)) }
        if let token = error.token { out["token"] = .string(token) }
        return .object(out)
    }
}
