import Foundation
import Hummingbird
import OnrampCore
import OnrampExpression
import OnrampTransforms

extension OnrampAPI {
    /// What an editor's expression may cost: its length, its sample record, one evaluation's time.
    static let expressionLimit = 16 << 10
    static let sampleLimit = 1 << 20
    static let evaluationLimits = JSONata.Limits(maxDepth: 500, timeout: .seconds(2))

    /// The designer's JSONata editor: `compile` answers the expression's first error with its position,
    /// `evaluate` its value on a sample record, with the functions steps have. Both change nothing; an
    /// expression's failure is an answer (`ok: false`), not an HTTP error.
    func addExpressionRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        let gate = PreviewGate(total: 2, perTenant: 1)
        api.post("/expressions/compile") { request, _ in
            let body = try await request.jsonBody(limit: Self.expressionLimit * 2)
            try Self.onlyKeys(body, ["expression"])
            let source = try Self.expressionText(body)
            return JSONResponse.make(await Self.offloaded { Self.compiled(source) })
        }
        api.post("/expressions/evaluate") { request, context in
            guard let principal = context.principal else { throw APIError.unauthorized }
            let body = try await request.jsonBody(limit: Self.sampleLimit + Self.expressionLimit * 2)
            try Self.onlyKeys(body, ["expression", "input"])
            let source = try Self.expressionText(body)
            let input = body["input"]
            guard await gate.enter(principal.keyId) else {
                throw APIError(.tooManyRequests, "rate_limited", "an evaluation of yours is still running; try again when it ends")
            }
            let outcome = await Self.offloaded { Self.evaluated(source, on: input) }
            await gate.leave(principal.keyId)
            return JSONResponse.make(outcome)
        }
    }

    static func compiled(_ source: String) -> Value {
        do throws(JSONataError) {
            let expression = try JSONata(source)
            return ["ok": true, "fields": .array(Set(expression.inputFields.names.map(\.name)).sorted().map(Value.string))]
        } catch {
            return ["ok": false, "error": expressionError(error)]
        }
    }

    static func evaluated(_ source: String, on input: Value?) -> Value {
        do throws(JSONataError) {
            let result = try JSONata(source).evaluate(input, functions: CleansingFunctions.registry, limits: evaluationLimits)
            var out: Value.Object = ["ok": true]
            if let result { out["result"] = result }
            return .object(out)
        } catch {
            return ["ok": false, "error": expressionError(error)]
        }
    }

    static func expressionText(_ body: Value) throws -> String {
        guard case .string(let source)? = body["expression"] else {
            throw APIError(.unprocessableContent, "missing", "the expression is required, as a string", field: "expression")
        }
        guard source.utf8.count <= expressionLimit else {
            throw APIError(.unprocessableContent, "invalid", "an expression has at most \(expressionLimit >> 10) KiB", field: "expression")
        }
        return source
    }

    static func expressionError(_ error: JSONataError) -> Value {
        var out: Value.Object = ["code": .string(error.code), "message": .string(error.message)]
        if let position = error.position { out["position"] = .number(Double(position)) }
        if let token = error.token { out["token"] = .string(token) }
        return .object(out)
    }
}
