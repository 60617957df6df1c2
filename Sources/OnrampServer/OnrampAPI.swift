import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampScheduler
import OnrampStore

/// The REST API under `/api/v1` plus `/healthz` and `/readyz`. Everything but health needs an API key.
public struct OnrampAPI: Sendable {
    public let store: any OnrampStore
    public let registry: ConnectorRegistry
    public let worker: RunWorker?
    public let scheduler: ScheduleService?
    public let secretBox: SecretBox?
    public let dataDirectory: String
    /// Renders the process's metrics in the Prometheus text format (the composition root picks the backend).
    public var metricsText: (@Sendable () -> String)?
    /// Opens sealed run artifacts for download (nil: artifacts are stored plain).
    public var artifacts: ArtifactSealer?
    /// Session cookies carry `Secure` when the server speaks HTTPS.
    public var secureCookies = false
    /// Behind a TLS-terminating proxy: believe its `X-Forwarded-Proto` (Secure cookies, HSTS) and `X-Forwarded-For`.
    public var trustProxy = false
    /// The largest file an upload to a tenant's file area may have.
    public var maxUploadBytes: Int64 = 256 << 20
    public var loginPolicy = LoginLimiter.Policy()

    public init(store: any OnrampStore, registry: ConnectorRegistry, worker: RunWorker?, scheduler: ScheduleService? = nil,
                secretBox: SecretBox? = nil, dataDirectory: String) {
        self.store = store
        self.registry = registry
        self.worker = worker
        self.scheduler = scheduler
        self.secretBox = secretBox
        self.dataDirectory = dataDirectory
    }

    public func buildRouter() -> Router<OnrampRequestContext> {
        let router = Router(context: OnrampRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware(tls: secureCookies, trustProxy: trustProxy))
        router.get("/healthz") { _, _ in JSONResponse.make(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            _ = try await store.queueDepth()
            return JSONResponse.make(["status": "ready"])
        }
        router.get("/api/v1/openapi.json") { _, _ in JSONResponse.make(OpenAPIDocument.document) }
        router.get("/metrics") { _, _ -> Response in
            guard let metricsText else { throw APIError.notFound("metrics") }
            Gauge(label: "onramp_queue_depth").record(try await store.queueDepth())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: metricsText())))
        }
        addLoginRoute(router)
        let api = router.group("/api/v1").add(middleware: AuthMiddleware(store: store))
            .add(middleware: AuditMiddleware(store: store))
        addUserRoutes(api)
        addSystemRoutes(api)
        addTenantRoutes(api)
        addPipelineRoutes(api)
        addRunRoutes(api)
        addScheduleRoutes(api)
        addSecretRoutes(api)
        addTemplateRoutes(api)
        addConnectionRoutes(api)
        addAuditRoutes(api)
        addFileRoutes(api)
        return router
    }

    func addSystemRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.get("/connectors") { _, _ in
            var list: [Value] = registry.sources.values.sorted { $0.name < $1.name }.map {
                ["kind": "source", "name": .string($0.name), "summary": .string($0.summary), "config_schema": $0.configSchema,
                 "incremental_schema": $0.incrementalSchema ?? .null]
            }
            list += registry.destinations.values.sorted { $0.name < $1.name }.map {
                ["kind": "destination", "name": .string($0.name), "summary": .string($0.summary), "config_schema": $0.configSchema]
            }
            return JSONResponse.make(["connectors": .array(list)])
        }
        api.post("/tenants/:tenant/preview") { request, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .engineer, .tenantAdmin])
            let body = try await request.jsonBody()
            guard let document = body["document"] else { throw APIError(.unprocessableContent, "missing", "required key is missing", field: "document") }
            let limit = min(max(Int(body["limit"]?.numberValue ?? 5), 1), 100)
            do {
                let expanded = try await validate(document, tenant: tenant)
                let spec = try PipelineLoader.spec(from: expanded, environment: ProcessInfo.processInfo.environment,
                                                   secrets: try await secretsFor(tenant))
                return JSONResponse.make(try await PipelinePreview.run(spec, registry: registry, resources: ConnectorResources(baseDirectory: dataDirectory), limit: limit))
            } catch let e as OnrampError {
                throw APIError.invalid(e)
            }
        }
        api.post("/validate") { request, _ in
            let document = try await request.jsonBody()
            do {
                try await validate(document)
                return JSONResponse.make(["valid": true])
            } catch let e as OnrampError {
                return JSONResponse.make(["valid": false, "error": ["code": .string(e.code), "message": .string(e.message), "field": e.location.map(Value.string) ?? .null]])
            }
        }
    }

    /// A tenant's secrets in clear, for a preview (the source may need them); never returned.
    func secretsFor(_ tenant: String) async throws -> [String: String] {
        guard let secretBox else { return [:] }
        return try await SecretResolution(store: store, box: secretBox).resolve(tenant)
    }

    /// Validates a pipeline document as a run would use it (connector configs included), without
    /// secrets. In a template, the parts holding `${param:…}` blanks are checked when it is instantiated.
    /// With a tenant, `connection` references are expanded from its connections, and the expanded
    /// document is returned; without one (a template), sides that use a connection are checked for
    /// structure only.
    @discardableResult
    func validate(_ input: Value, tenant: String? = nil) async throws -> Value {
        var document = input
        var blankSides: Set<String> = []
        if let tenant {
            let connections = try await store.connectionMap(tenantId: tenant)
            document = try Connections.expand(document, connections)
        } else if case .object(var root) = document {
            for side in ["source", "destination"] where root[side]?["connection"] != nil {
                blankSides.insert(side)
                root[side] = ["connector": "file", "config": ["path": "connection-placeholder"]]
            }
            document = .object(root)
        }
        let spec = try PipelineSpecValidation.spec(document)
        let resources = ConnectorResources(baseDirectory: dataDirectory)
        func hasBlanks(_ v: Value?) -> Bool { v.map { Placeholders.references(in: $0).contains { $0.kind == "param" } } ?? false }
        let source: Value? = blankSides.contains("source") ? nil : document["source"]
        let destination: Value? = blankSides.contains("destination") ? nil : document["destination"]
        if let source, !hasBlanks(source) { _ = try registry.makeSource(spec.source, resources: resources) }
        if let destination, !hasBlanks(destination) { _ = try registry.makeDestination(spec.destination, resources: resources) }
        for (i, step) in spec.steps.enumerated() where !hasBlanks(document["steps"]?.arrayValue?[i]) {
            _ = try PipelineSpecValidation.step(step)
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
