import Foundation
import Hummingbird
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampStore

extension OnrampAPI {
    static func connectionValue(_ c: ConnectionRecord) -> Value {
        ["name": .string(c.name), "connector": .string(c.connector), "config": c.config, "updated_at": .string(ISOTime.string(c.updatedAt))]
    }

    /// Checks a connection's config against its connector's schema and the tenant policy, secrets named but not
    /// opened: a 422 naming the config field (as `config.…`) when it does not hold.
    func checkConnection(tenant: String, connector: String, config: Value, secrets: [String: [String]]) throws {
        var values: [String: [String: String]] = [:]
        for (kind, n) in Placeholders.references(in: config) { values[kind, default: [:]][n] = "placeholder" }
        do {
            let side = registry.sources[connector] != nil ? "source" : "destination"
            try policy.checkReferences([side: ["connector": .string(connector), "config": config]],
                                       secrets: secrets, registry: registry)
            let filled = try Placeholders.substitute(config, path: "config", values: values)
            let ref = PipelineSpec.ConnectorRef(connector: connector, config: filled, incremental: nil)
            let resources = policy.resources(tenant: tenant)
            if registry.sources[connector] != nil {
                _ = try registry.makeSource(ref, resources: resources)
            } else {
                _ = try registry.makeDestination(ref, resources: resources)
            }
        } catch let e as OnrampError {
            throw APIError(.unprocessableContent, e.code, e.message, field: e.location.map {
                $0.replacingOccurrences(of: "source.", with: "").replacingOccurrences(of: "destination.", with: "")
            })
        }
    }

    func addConnectionRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        let writers: Set<Role> = [.platformAdmin, .engineer, .tenantAdmin]
        api.put("/tenants/:tenant/connections/:name") { request, context in
            let tenant = try context.tenant(allowing: writers)
            let name = try context.parameters.require("name")
            guard name.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
                throw APIError(.unprocessableContent, "invalid", "a connection name is lower-case letters, digits and '-'", field: "name")
            }
            let body = try await request.jsonBody()
            guard case .string(let connector)? = body["connector"] else {
                throw APIError(.unprocessableContent, "missing", "required key is missing", field: "connector")
            }
            let config = body["config"] ?? .object([:])
            try checkConnection(tenant: tenant, connector: connector, config: config, secrets: try await secretOrigins(tenant))
            let c = ConnectionRecord(tenantId: tenant, name: name, connector: connector, config: config, updatedAt: Date())
            try await store.saveConnection(c)
            return JSONResponse.make(Self.connectionValue(c))
        }
        api.get("/tenants/:tenant/connections") { request, context in
            let tenant = try context.tenant()
            let page = try ListPage(request).slice(try await store.connections(tenantId: tenant)) { $0.name }
            return JSONResponse.make(["connections": .array(page.items.map(Self.connectionValue)), "next_cursor": page.next])
        }
        api.get("/tenants/:tenant/connections/:name") { _, context in
            let tenant = try context.tenant()
            let name = try context.parameters.require("name")
            guard let c = try await store.connections(tenantId: tenant).first(where: { $0.name == name }) else {
                throw APIError.notFound("connection \(name)")
            }
            return JSONResponse.make(Self.connectionValue(c))
        }
        api.delete("/tenants/:tenant/connections/:name") { _, context in
            let tenant = try context.tenant(allowing: writers)
            let name = try context.parameters.require("name")
            guard try await store.deleteConnection(tenantId: tenant, name: name) else { throw APIError.notFound("connection \(name)") }
            return Response(status: .noContent)
        }
    }
}
