import Foundation
import Hummingbird
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampStore

extension OnrampAPI {
    /// `check` and `discover` of a saved connection: run in a worker process like a preview (they reach the
    /// tenant's hosts and files), with the tenant's secrets resolved into secret fields only.
    func addConnectionCheckRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        let writers: Set<Role> = [.platformAdmin, .engineer, .tenantAdmin]
        api.post("/tenants/:tenant/connections/:name/check") { _, context in
            let tenant = try context.tenant(allowing: writers)
            let connection = try await savedConnection(tenant, context.parameters.require("name"))
            return try Self.checkAnswer(try await connectorOperation(.check, tenant: tenant, connector: connection.connector,
                                                                     config: connection.config))
        }
        api.post("/tenants/:tenant/connections/:name/discover") { _, context in
            let tenant = try context.tenant(allowing: writers)
            let connection = try await savedConnection(tenant, context.parameters.require("name"))
            return try Self.discoverAnswer(try await connectorOperation(.discover, tenant: tenant, connector: connection.connector,
                                                                        config: connection.config))
        }
        // The same for a connection form that is not saved: `{connector, config, secrets}`, nothing stored.
        api.post("/tenants/:tenant/check") { request, context in
            let tenant = try context.tenant(allowing: writers)
            let (connector, config, typed) = try await Self.unsavedConnection(request)
            return try Self.checkAnswer(try await connectorOperation(.check, tenant: tenant, connector: connector, config: config,
                                                                     typed: typed))
        }
        api.post("/tenants/:tenant/discover") { request, context in
            let tenant = try context.tenant(allowing: writers)
            let (connector, config, typed) = try await Self.unsavedConnection(request)
            return try Self.discoverAnswer(try await connectorOperation(.discover, tenant: tenant, connector: connector,
                                                                        config: config, typed: typed))
        }
    }

    static func checkAnswer(_ result: (PreviewAnswer, Redactor)) throws -> Response {
        let (answer, redactor) = result
        do {
            let check = try answer.value()
            return JSONResponse.make(["ok": true, "message": .string(redactor.string(check["message"]?.stringValue ?? ""))])
        } catch let e as OnrampError {
            return JSONResponse.make(["ok": false, "code": .string(e.code), "message": .string(redactor.string(e.message)),
                                      "field": e.location.map { .string(redactor.string($0)) } ?? .null])
        }
    }

    static func discoverAnswer(_ result: (PreviewAnswer, Redactor)) throws -> Response {
        let (answer, redactor) = result
        do {
            return JSONResponse.make(redactor.value(try answer.value()))
        } catch let e as OnrampError {
            throw APIError.invalid(OnrampError(e.code, redactor.string(e.message), at: e.location))
        }
    }

    func savedConnection(_ tenant: String, _ name: String) async throws -> ConnectionRecord {
        guard let connection = try await store.connections(tenantId: tenant).first(where: { $0.name == name }) else {
            throw APIError.notFound("connection \(name)")
        }
        return connection
    }

    static func unsavedConnection(_ request: Request) async throws -> (String, Value, [String: TenantSecret]) {
        let body = try await request.jsonBody(limit: 256 << 10)
        try onlyKeys(body, ["connector", "config", "secrets"])
        guard case .string(let connector)? = body["connector"] else {
            throw APIError(.unprocessableContent, "missing", "a connector is required", field: "connector")
        }
        let config = body["config"] ?? .object([:])
        guard case .object = config else { throw APIError(.unprocessableContent, "invalid", "must be an object", field: "config") }
        return (connector, config, try inlineSecrets(body["secrets"]))
    }

    /// `typed`: secrets typed in the form, for this request only (they stand in for stored ones of the same names).
    private func connectorOperation(_ operation: PreviewRequest.Operation, tenant: String, connector: String, config: Value,
                                    typed: [String: TenantSecret] = [:]) async throws -> (PreviewAnswer, Redactor) {
        guard let side = registry.side(of: connector) else {
            throw APIError(.unprocessableContent, "connector.unknown", "unknown connector '\(connector)'", field: "connector")
        }
        if operation == .discover, side != .source {
            throw APIError(.unprocessableContent, "connector.discover", "only a source connection can be discovered", field: "connector")
        }
        let secrets = try await secretsFor(tenant).merging(typed) { _, typed in typed }
        let redactor = Redactor(secrets: secrets.values.map(\.value))
        let document: Value
        do {
            document = try policy.resolveConnector(side: side, connector: connector, config: config,
                                                   secrets: secrets, registry: registry)
        } catch let e as OnrampError {
            throw APIError.invalid(e)
        }
        guard await previewGate.enter(tenant) else {
            throw APIError(.tooManyRequests, "preview.busy", "too many previews and checks are running; try again in a moment")
        }
        let answer = await previews.preview(PreviewRequest(
            document: JSONWriter.string(document), operation: operation, files: policy.fileArea(tenant: tenant),
            egress: policy.egress, limit: 1, seconds: previewSeconds, memoryMiB: previewMemoryMiB))
        await previewGate.leave(tenant)
        return (answer, redactor)
    }
}
