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
            let (answer, redactor) = try await connectorOperation(.check, tenant: tenant, name: context.parameters.require("name"))
            do {
                let check = try answer.value()
                return JSONResponse.make(["ok": true, "message": .string(redactor.string(check["message"]?.stringValue ?? ""))])
            } catch let e as OnrampError {
                return JSONResponse.make(["ok": false, "code": .string(e.code), "message": .string(redactor.string(e.message)),
                                          "field": e.location.map { .string(redactor.string($0)) } ?? .null])
            }
        }
        api.post("/tenants/:tenant/connections/:name/discover") { _, context in
            let tenant = try context.tenant(allowing: writers)
            let (answer, redactor) = try await connectorOperation(.discover, tenant: tenant, name: context.parameters.require("name"))
            do {
                return JSONResponse.make(redactor.value(try answer.value()))
            } catch let e as OnrampError {
                throw APIError.invalid(OnrampError(e.code, redactor.string(e.message), at: e.location))
            }
        }
    }

    private func connectorOperation(_ operation: PreviewRequest.Operation, tenant: String, name: String) async throws
        -> (PreviewAnswer, Redactor) {
        guard let connection = try await store.connections(tenantId: tenant).first(where: { $0.name == name }) else {
            throw APIError.notFound("connection \(name)")
        }
        guard let side = registry.side(of: connection.connector) else {
            throw APIError(.unprocessableContent, "connector.unknown", "unknown connector '\(connection.connector)'", field: "connector")
        }
        if operation == .discover, side != .source {
            throw APIError(.unprocessableContent, "connector.discover", "only a source connection can be discovered", field: "connector")
        }
        let secrets = try await secretsFor(tenant)
        let redactor = Redactor(secrets: secrets.values.map(\.value))
        let document: Value
        do {
            document = try policy.resolveConnector(side: side, connector: connection.connector, config: connection.config,
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
