import Foundation
import Hummingbird
import Logging
import NIOCore
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampScheduler
import OnrampStore
import OnrampTransforms

/// The REST API under `/api/v1` plus `/healthz` and `/readyz`. Everything but health needs an API key.
public struct OnrampAPI: Sendable {
    public let store: any OnrampStore
    public let registry: ConnectorRegistry
    public let worker: RunWorker?
    public let scheduler: ScheduleService?
    public let secretBox: SecretBox?
    public let dataDirectory: String
    /// `/metrics` (the composition root picks the backend); nil: not served.
    public var metrics: MetricsEndpoint?
    /// Opens sealed run artifacts for download, from the data directory or the object store (nil: stored plain).
    public var artifacts: RunArtifacts?
    /// Session cookies carry `Secure` when the server speaks HTTPS.
    public var secureCookies = false
    /// What tenants' documents may reach (file areas, exposed environment, egress).
    public var policy: TenantPolicy
    /// Where previews run (the composition root picks a child process; tests run them in process).
    public var previews: any PreviewExecutor
    /// A preview's limits: seconds and memory of its process.
    public var previewSeconds: Double = 10
    public var previewMemoryMiB = 1024
    let previewGate = PreviewGate()
    /// Behind a TLS-terminating proxy: believe its `X-Forwarded-Proto` (Secure cookies, HSTS) and `X-Forwarded-For`.
    public var trustProxy = false
    /// The largest file an upload to a tenant's file area may have.
    public var maxUploadBytes: Int64 = 256 << 20
    /// The bytes each tenant's file area may hold, with its usage figures (shared with the run worker).
    public var quota = TenantQuota(limit: 10 << 30)
    public var loginPolicy = LoginLimiter.Policy()
    public var pushLimits = PushLimits()
    /// The web UI's files (read once per process).
    public var uiAssets = UIAssets.installed

    public init(store: any OnrampStore, registry: ConnectorRegistry, worker: RunWorker?, scheduler: ScheduleService? = nil,
                secretBox: SecretBox? = nil, dataDirectory: String) {
        self.store = store
        self.registry = registry
        self.worker = worker
        self.scheduler = scheduler
        self.secretBox = secretBox
        self.dataDirectory = dataDirectory
        policy = TenantPolicy(dataDirectory: dataDirectory)
        previews = InProcessPreviewExecutor(registry: registry)
    }

    public func buildRouter() -> Router<OnrampRequestContext> {
        let router = Router(context: OnrampRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware(tls: secureCookies, trustProxy: trustProxy))
        router.add(middleware: ErrorEnvelopeMiddleware())
        router.get("/healthz") { _, _ in JSONResponse.make(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            if worker?.isDraining == true { return JSONResponse.make(["status": "draining"], status: .serviceUnavailable) }
            _ = try await store.queueDepth()
            return JSONResponse.make(["status": "ready"])
        }
        router.get("/api/v1/openapi.json") { _, _ in JSONResponse.make(OpenAPIDocument.document) }
        router.get("/metrics") { request, _ -> Response in
            guard let metrics else { throw APIError.notFound("metrics") }
            return try await metrics.respond(to: request)
        }
        let throttle = LoginThrottle(policy: loginPolicy)
        addLoginRoute(router, throttle: throttle)
        addUIRoutes(router)
        let pushThrottle = PushThrottle(rate: pushLimits.rate, burst: pushLimits.burst)
        addPushIngestRoutes(router, throttle: pushThrottle)
        addAgentLinkRoutes(router, throttle: pushThrottle)
        let api = router.group("/api/v1").add(middleware: AuthMiddleware(store: store))
            .add(middleware: AuditMiddleware(store: store))
        addUserRoutes(api)
        addAccountRoutes(api, throttle: throttle)
        addExpressionRoutes(api)
        addSystemRoutes(api)
        addTenantRoutes(api)
        addPipelineRoutes(api)
        addPipelineTestRoutes(api)
        addRunRoutes(api)
        addRunEventRoutes(api)
        addErrorRoutes(api)
        addScheduleRoutes(api)
        addSecretRoutes(api)
        addWebhookRoutes(api)
        addTemplateRoutes(api)
        addReferenceTableRoutes(api)
        addConnectionRoutes(api)
        addAuditRoutes(api)
        addFileRoutes(api)
        addConnectionCheckRoutes(api)
        addDeployRoutes(api)
        addPushRoutes(api)
        addAgentRoutes(api)
        return router
    }

    func addSystemRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.get("/connectors") { _, _ in JSONResponse.make(["connectors": .array(registry.catalog + StepFactory.catalog)]) }
        api.get("/limits") { _, _ in JSONResponse.make(limits) }
        api.post("/tenants/:tenant/preview") { request, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .engineer, .tenantAdmin])
            let body = try await request.jsonBody()
            guard let document = body["document"] else { throw APIError(.unprocessableContent, "missing", "required key is missing", field: "document") }
            var limit = 5
            if let l = body["limit"] {
                guard let n = l.numberValue, n == n.rounded(), (1...100).contains(n) else {
                    throw APIError(.unprocessableContent, "invalid", "must be an integer from 1 to 100", field: "limit")
                }
                limit = Int(n)
            }
            var dryRun: DryRun?
            if let d = body["dry_run"], !d.isNull {
                guard let target = d.stringValue.flatMap(DryRun.init(rawValue:)) else {
                    throw APIError(.unprocessableContent, "invalid", "must be sandbox or configured", field: "dry_run")
                }
                dryRun = target
            }
            // Secrets typed in the designer and not saved yet: used for this preview only, never stored.
            let typed = try Self.inlineSecrets(body["secrets"])
            let secrets = try await secretsFor(tenant).merging(typed) { _, typed in typed }
            let redactor = Redactor(secrets: secrets.values.map(\.value))
            do {
                let expanded = try await validate(document, tenant: tenant, typedSecrets: typed.mapValues(\.origins))
                let resolved = try policy.resolve(expanded, secrets: secrets, registry: registry)
                guard await previewGate.enter(tenant) else {
                    throw APIError(.tooManyRequests, "preview.busy", "too many previews are running; try again in a moment")
                }
                let answer = await previews.preview(PreviewRequest(
                    document: JSONWriter.string(resolved.document), files: policy.fileArea(tenant: tenant), egress: policy.egress,
                    limit: limit, seconds: previewSeconds, memoryMiB: previewMemoryMiB, dryRun: dryRun))
                await previewGate.leave(tenant)
                return JSONResponse.make(redactor.value(try answer.value()))
            } catch let e as OnrampError {
                throw APIError.invalid(OnrampError(e.code, redactor.string(e.message), at: e.location))
            }
        }
        api.post("/validate") { request, _ in
            let (document, text) = try await request.documentBodyAndText()
            var problems = lintProblems(document, text: text)
            var first: OnrampError?
            do {
                try await validate(document)
                first = problems.first { $0.severity == .error }.map { OnrampError($0.code, $0.message, at: $0.path) }
            } catch let e as OnrampError {
                // The first error a save would meet, as before; lint's list holds it too.
                let path = e.location.map(LintProblem.fieldPath)
                if !problems.contains(where: { $0.code == e.code && $0.path == path }) {
                    problems.insert(LintProblem(.error, e.code, e.message, path: path), at: 0)
                }
                first = e
            }
            return JSONResponse.make(["valid": .bool(first == nil),
                                      "error": first.map { ["code": .string($0.code), "message": .string($0.message),
                                                            "field": $0.location.map(Value.string) ?? .null] } ?? .null,
                                      "problems": .array(problems.map(\.asValue))])
        }
    }

    /// The document with each side that names a connection (checked under a tenant) replaced by a placeholder, and
    /// which sides those were.
    static func blankingConnections(_ document: Value) -> (Value, Set<String>) {
        guard case .object(var root) = document else { return (document, []) }
        var blank: Set<String> = []
        for side in ["source", "destination"] where root[side]?["connection"] != nil {
            blank.insert(side)
            root[side] = ["connector": "file", "config": ["path": "connection-placeholder"]]
        }
        return (.object(root), blank)
    }

    /// Every problem lint finds in a document, placed in `text` when it came as text. A side that names a connection
    /// (`source: {connection: NAME}`) is checked when the pipeline is saved under a tenant, not here.
    func lintProblems(_ document: Value, text: String?) -> [LintProblem] {
        let (doc, blank) = Self.blankingConnections(document)
        let linter = PipelineLinter(registry: registry, resources: policy.resources(tenant: "_validation"))
        return linter.lint(document: doc, map: text.map(SourceMap.init(text:)))
            .filter { p in !blank.contains { p.path == $0 || p.path?.hasPrefix($0 + ".") == true } }
    }

    /// The operator's limits, as `GET /limits` shows them.
    var limits: Value {
        var out: Value.Object = [
            "preview": ["seconds": .number(previewSeconds), "memory_mib": .number(Double(previewMemoryMiB)), "max_records": 100],
            "upload": ["max_bytes": .number(Double(maxUploadBytes))],
            "files": ["quota_bytes": .number(Double(quota.limit))],
            "push": ["max_batch_bytes": .number(Double(pushLimits.maxBatchBytes)),
                     "max_pending_bytes": .number(Double(pushLimits.maxPendingBytes)), "rate": .number(pushLimits.rate),
                     "burst": .number(pushLimits.burst)],
        ]
        if let options = worker?.options {
            out["run"] = ["memory_mib": .number(Double(options.limits.memoryMiB)), "wall_seconds": .number(options.limits.wallSeconds),
                          "max_records_read": .number(Double(options.limits.maxRecordsRead)),
                          "max_output_bytes": .number(Double(options.limits.maxOutputBytes)),
                          "max_attempts": .number(Double(options.maxAttempts)), "per_tenant_concurrency": .number(Double(options.perTenantLimit))]
        }
        return .object(out)
    }

    /// A tenant's secrets in clear, for a preview (the source may need them); never returned.
    func secretsFor(_ tenant: String) async throws -> [String: TenantSecret] {
        guard let secretBox else { return [:] }
        return try await SecretResolution(store: store, box: secretBox).resolve(tenant)
    }

    /// A tenant's secrets by name with the origins each may go to (no value opened).
    func secretOrigins(_ tenant: String) async throws -> [String: [String]] {
        Dictionary(try await store.secrets(tenantId: tenant).map { ($0.name, $0.origins) },
                   uniquingKeysWith: { a, _ in a })
    }

    /// Validates a pipeline document as a run would use it (connector configs included) under the tenant
    /// policy, without secret values and without touching any file. In a template, the parts holding
    /// `${param:…}` blanks are checked when it is instantiated. With a tenant, `connection` references are
    /// expanded from its connections, every `${secret:…}` must name one of its secrets, and the expanded
    /// document is returned; without one (a template), sides that use a connection are checked for
    /// structure only. `connections` stands in for the tenant's stored ones (a push checked before it is applied),
    /// `typedSecrets` (name to origins) for stored secrets of those names (a preview's typed ones).
    @discardableResult
    func validate(_ input: Value, tenant: String? = nil,
                  connections pending: [String: (connector: String, config: Value)]? = nil,
                  typedSecrets: [String: [String]] = [:]) async throws -> Value {
        var document = input
        var blankSides: Set<String> = []
        if let tenant {
            var connections = pending ?? [:]
            if pending == nil { connections = try await store.connectionMap(tenantId: tenant) }
            document = try Connections.expand(document, connections)
            let origins = try await secretOrigins(tenant).merging(typedSecrets) { _, typed in typed }
            try policy.checkReferences(document, secrets: origins, registry: registry)
        } else {
            (document, blankSides) = Self.blankingConnections(document)
        }
        if tenant == nil { try policy.checkReferences(document, secrets: nil, registry: registry) }
        let spec = try PipelineSpecValidation.spec(document)
        let resources = policy.resources(tenant: tenant ?? "_validation")
        func hasBlanks(_ v: Value?) -> Bool { v.map { Placeholders.references(in: $0).contains { $0.kind == "param" } } ?? false }
        let source: Value? = blankSides.contains("source") ? nil : document["source"]
        let destination: Value? = blankSides.contains("destination") ? nil : document["destination"]
        if let source, !hasBlanks(source) { _ = try registry.makeSource(spec.source, resources: resources) }
        if let destination, !hasBlanks(destination) { _ = try registry.makeDestination(spec.destination, resources: resources) }
        for (i, step) in spec.steps.enumerated() where !hasBlanks(document["steps"]?.arrayValue?[i]) {
            try PipelineSpecValidation.step(step, registry: registry, resources: resources)
        }
        return document
    }
}

extension OnrampAPI {
    /// `onramp serve` refuses an `ONRAMP_ADMIN_KEY` shorter than this.
    public static let minimumAdminKeyLength = 32

    /// On first start (no platform admin key yet) creates one: `secret` if given (from the
    /// environment), else a generated one. Returns the secret when a key was created, to print once.
    public func bootstrapAdminKey(secret: String?) async throws -> String? {
        guard try await !store.keys(tenantId: nil).contains(where: { $0.role == .platformAdmin && $0.revokedAt == nil }) else { return nil }
        let value = secret ?? AuthMiddleware.newSecret()
        try await store.createKey(APIKeyRecord(id: UUID().uuidString.lowercased(), name: "bootstrap admin", role: .platformAdmin,
                                               tenantId: nil, secretHash: AuthMiddleware.hash(value), createdAt: Date()))
        return value
    }
}
