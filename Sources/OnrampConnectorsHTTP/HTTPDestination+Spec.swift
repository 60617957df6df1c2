import OnrampConnectorKit
import OnrampCore
import OnrampExpression

extension HTTPDestination {
    static let spec = DestinationSpec(
        name: "http",
        summary: "Sends records to any JSON API: method, URL and headers templated per record (or per batch), "
            + "a JSONata body, retries with backoff, an idempotency header, non-2xx answers as load errors.",
        configSchema: HTTPDestinationConfig.schema, config: HTTPDestinationConfig.self
    ) { config, resources in
        try HTTPDestination(config: config, resources: resources)
    }

    init(config: HTTPDestinationConfig, resources: ConnectorResources) throws {
        let f = Self.field
        func compile(_ text: String, _ field: String) throws -> JSONata {
            do { return try JSONata(text) } catch {
                throw OnrampError("config.expression", "\(describe(error)) in '\(text)'", at: "\(f).\(field)")
            }
        }
        let policy = RetryPolicy(maxAttempts: config.maxAttempts, baseDelaySeconds: 0.5, maxDelaySeconds: 60)
        var caller = HTTPCaller(client: try resources.http(), policy: policy, clock: resources.clock, auth: nil,
                                maxBytes: config.maxResponseMib << 20,
                                timeout: .milliseconds(Int64(config.timeoutSeconds * 1000)))
        let auth = try HTTPAuth(config.auth ?? .none, at: "\(f).auth", caller: caller)
        caller.auth = auth
        self.init(
            config: config,
            method: try HTTPTemplate(config.method, field: "\(f).method"),
            url: try HTTPTemplate(config.url, field: "\(f).url"),
            headers: try config.headers.sorted { $0.key < $1.key }.map {
                ($0.key, try HTTPTemplate($0.value, field: "\(f).headers.\($0.key)"))
            },
            body: try compile(config.body, "body"),
            idempotency: try config.idempotencyHeader.map { ($0.name, try compile($0.value, "idempotency_header.value")) },
            result: try config.result.map { try compile($0, "result") },
            caller: caller, hint: auth.hint)
    }
}
