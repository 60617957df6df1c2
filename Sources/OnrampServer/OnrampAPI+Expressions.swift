import Foundation
import Hummingbird
import OnrampCore
import OnrampEngine

extension OnrampAPI {
    /// What an editor's expression may cost: its length, its sample record, one evaluation's time.
    static let expressionLimit = 16 << 10
    static let sampleLimit = 1 << 20
    /// An evaluation's child process: killed past these (the evaluator's own limit is 2 s).
    static let evaluationSeconds = 4.0
    static let evaluationMemoryMiB = 256

    /// The designer's JSONata editor: `compile` answers the expression's first error with its position (parsing only,
    /// in this process), `evaluate` its value on a sample record, with the functions steps have, in the preview
    /// executor's child process under its own time and memory limits. Both change nothing; an expression's failure is
    /// an answer (`ok: false`), not an HTTP error.
    func addExpressionRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        let gate = PreviewGate(total: 4, perTenant: 1)
        api.post("/expressions/compile") { request, _ in
            let body = try await request.jsonBody(limit: Self.expressionLimit * 2)
            try Self.onlyKeys(body, ["expression"])
            let source = try Self.expressionText(body)
            return JSONResponse.make(await Self.offloaded { ExpressionProbe.compiled(source) })
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
            var request: Value.Object = ["expression": .string(source)]
            if let input { request["input"] = input }
            let answer = await previews.preview(PreviewRequest(
                document: JSONWriter.string(.object(request)), operation: .evaluate,
                files: policy.fileArea(tenant: principal.tenantId ?? "_expressions"), egress: policy.egress, limit: 1,
                seconds: Self.evaluationSeconds, memoryMiB: Self.evaluationMemoryMiB))
            await gate.leave(principal.keyId)
            guard let out = try? answer.value() else {
                return JSONResponse.make(["ok": false, "error": ["code": .string(answer.code ?? "preview.failed"),
                                                                 "message": .string(answer.message ?? "the evaluation stopped")]])
            }
            return JSONResponse.make(out)
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
}
