import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OnrampCore

/// The local TAXMAN: implements the contract in ../shared/taxman/openapi.yaml with the sandbox rules of
/// ../shared/taxman/README.md, plus `/_sandbox/` endpoints for tests and demos.
public struct TaxmanSandbox: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 8081
        public var apiKeys: [String] = []
        public var failRate = 0.0
        public var latencyMilliseconds = 0
        public var rateLimit: Int?
        public init() {}
    }

    let options: Options
    let state: SandboxState

    public init(options: Options) throws {
        self.options = options
        state = SandboxState(calculator: try TaxCalculator.bundled(), options: options)
    }

    static func json(_ v: Value, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: JSONWriter.string(v))))
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil, headers: HTTPFields = [:]) -> Response {
        var e: Value.Object = ["code": .string(code), "message": .string(message)]
        if let field { e["field"] = .string(field) }
        return json(["error": .object(e)], status: status, headers: headers)
    }

    static func rejection(_ r: TaxCalculator.Rejection) -> Value {
        var e: Value.Object = ["code": .string(r.code), "message": .string(r.message)]
        if let f = r.field { e["field"] = .string(f) }
        return .object(e)
    }

    /// Common gate: latency, authentication, rate limit and faults; nil means go on.
    func gate(_ request: Request) async -> Response? {
        if options.latencyMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(options.latencyMilliseconds)) }
        let auth = request.headers[.authorization] ?? ""
        let key = auth.hasPrefix("Bearer ") ? String(auth.dropFirst(7)) : ""
        if key.isEmpty || (!options.apiKeys.isEmpty && !options.apiKeys.contains(key)) {
            await state.count("requests")
            await state.count("rejected")
            return Self.error(.unauthorized, "Unauthorized", "missing or unknown API key")
        }
        if let (status, retryAfter) = await state.admit() {
            if status == 429 {
                return Self.error(.tooManyRequests, "RateLimited", "rate limit exceeded", headers: [.retryAfter: String(retryAfter ?? 1)])
            }
            return Self.error(HTTPResponse.Status(code: status), status == 500 ? "InternalError" : "Unavailable", "injected fault")
        }
        return nil
    }

    func body(_ request: Request) async throws -> Value? {
        let buffer = try await request.body.collect(upTo: 32 << 20)
        return try? JSONParser.parse([UInt8](buffer: buffer))
    }

    /// One transaction through the rules; its calculation id is given when it is stored.
    func calculate(_ tx: Value) -> Result<Value, TaxCalculator.Rejection> {
        Result { () throws(TaxCalculator.Rejection) in try state.calculator.calculate(tx, calculationId: "") }
    }

    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/v1/health") { _, _ in Self.json(["status": "ok"]) }
        router.post("/v1/transactions/calculate") { request, _ -> Response in
            if let r = await gate(request) { return r }
            guard let tx = try await body(request), case .object = tx else {
                await state.count("rejected")
                return Self.error(.badRequest, "BadRequest", "the body must be a JSON transaction object")
            }
            let key = SandboxState.key(tx, headerKey: request.headers[HTTPField.Name("Idempotency-Key")!])
            switch await state.answers([(key, tx)], calculate: calculate)[0] {
            case .calculated(let calc, let replayed):
                return Self.json(calc, headers: replayed ? [HTTPField.Name("Idempotent-Replayed")!: "true"] : [:])
            case .rejected(let r):
                return Self.json(["error": Self.rejection(r)], status: .unprocessableContent)
            case .conflict(let key):
                return Self.error(.conflict, "IdempotencyConflict", "idempotency key \(key) was used with a different body")
            }
        }
        router.post("/v1/transactions/calculate-batch") { request, _ -> Response in
            if let r = await gate(request) { return r }
            guard let b = try await body(request), case .array(let txs)? = b["transactions"] else {
                await state.count("rejected")
                return Self.error(.badRequest, "BadRequest", "the body must be {\"transactions\": [...]}", field: "transactions")
            }
            guard (1...100).contains(txs.count) else {
                await state.count("rejected")
                return Self.error(.badRequest, "BadRequest", "a batch holds 1 to 100 transactions", field: "transactions")
            }
            var results: [Value] = []
            let answers = await state.answers(txs.map { (SandboxState.key($0, headerKey: nil), $0) }, calculate: calculate)
            for (i, (tx, answer)) in zip(txs, answers).enumerated() {
                var entry: Value.Object = ["transactionId": .string(tx["transactionId"]?.scalarText ?? "")]
                switch answer {
                case .calculated(let calc, let replayed):
                    entry["replayed"] = .bool(replayed)
                    entry["result"] = calc
                case .rejected(let r):
                    entry["error"] = Self.rejection(TaxCalculator.Rejection(code: r.code, message: r.message,
                                                                            field: r.field.map { "transactions[\(i)].\($0)" }))
                case .conflict(let key):
                    entry["error"] = ["code": "IdempotencyConflict", "message": .string("idempotency key \(key) was used with a different body")]
                }
                results.append(.object(entry))
            }
            return Self.json(["results": .array(results)])
        }
        router.get("/_sandbox/stats") { _, _ in Self.json(await state.stats()) }
        router.get("/_sandbox/calculations") { _, _ in Self.json(await state.calculations()) }
        router.post("/_sandbox/reset") { _, _ in
            await state.reset()
            return Self.json(["reset": true])
        }
        return router
    }

    /// The sandbox as a Hummingbird application; `onStarted` receives the bound port.
    public func application(onStarted: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: buildRouter(), configuration: .init(address: .hostname(options.host, port: options.port)),
                    onServerRunning: { channel in await onStarted(channel.localAddress?.port ?? 0) })
    }
}
