import Foundation
import Hummingbird
import OnrampCore
import OnrampStore

extension OnrampAPI {
    static func tenantValue(_ t: TenantRecord) -> Value {
        ["id": .string(t.id), "name": .string(t.name), "created_at": .string(ISOTime.string(t.createdAt))]
    }

    static func keyValue(_ k: APIKeyRecord) -> Value {
        ["id": .string(k.id), "name": .string(k.name), "role": .string(k.role.rawValue), "tenant_id": k.tenantId.map(Value.string) ?? .null,
         "created_at": .string(ISOTime.string(k.createdAt)),
         "revoked_at": k.revokedAt.map { .string(ISOTime.string($0)) } ?? .null]
    }

    func addTenantRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.post("/tenants") { request, context in
            _ = try context.require([.platformAdmin])
            let body = try await request.jsonBody()
            guard case .string(let id)? = body["id"], id.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
                throw APIError(.unprocessableContent, "invalid", "id must be 1-63 lower-case letters, digits or '-'", field: "id")
            }
            let tenant = TenantRecord(id: id, name: body["name"]?.stringValue ?? id, createdAt: Date())
            guard try await store.createTenant(tenant) else { throw APIError(.conflict, "conflict", "tenant \(id) exists", field: "id") }
            return JSONResponse.created(Self.tenantValue(tenant), at: "/api/v1/tenants/\(id)")
        }
        api.get("/tenants/:tenant") { _, context in
            let id = try context.tenant()
            guard let tenant = try await store.tenant(id: id) else { throw APIError.notFound("tenant \(id)") }
            return JSONResponse.make(Self.tenantValue(tenant))
        }
        api.get("/tenants") { _, context in
            guard let principal = context.principal else { throw APIError.unauthorized }
            let all = try await store.tenants().filter { principal.canSee(tenant: $0.id) }
            return JSONResponse.make(["tenants": .array(all.map(Self.tenantValue))])
        }
        api.post("/tenants/:tenant/api-keys") { request, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .tenantAdmin])
            guard try await store.tenant(id: tenant) != nil else { throw APIError.notFound("tenant \(tenant)") }
            let body = try await request.jsonBody()
            guard let role = body["role"]?.stringValue.flatMap(Role.init(rawValue:)), !role.isPlatformWide else {
                throw APIError(.unprocessableContent, "invalid", "role must be tenant_admin or tenant_viewer", field: "role")
            }
            let secret = AuthMiddleware.newSecret()
            let key = APIKeyRecord(id: UUID().uuidString.lowercased(), name: body["name"]?.stringValue ?? role.rawValue, role: role,
                                   tenantId: tenant, secretHash: AuthMiddleware.hash(secret), createdAt: Date())
            try await store.createKey(key)
            var out = Self.keyValue(key).objectValue!
            out["key"] = .string(secret)  // shown once; only its hash is stored
            return JSONResponse.created(.object(out), at: "/api/v1/tenants/\(tenant)/api-keys/\(key.id)")
        }
        api.get("/tenants/:tenant/api-keys/:key") { _, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .tenantAdmin])
            let id = try context.parameters.require("key")
            guard let key = try await store.keys(tenantId: tenant).first(where: { $0.id == id }) else { throw APIError.notFound("api key \(id)") }
            return JSONResponse.make(Self.keyValue(key))
        }
        api.get("/tenants/:tenant/api-keys") { request, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .tenantAdmin])
            let page = try ListPage(request).slice(try await store.keys(tenantId: tenant)) {
                ListPage.createdKey($0.createdAt, $0.id)
            }
            return JSONResponse.make(["api_keys": .array(page.items.map(Self.keyValue)), "next_cursor": page.next])
        }
        api.delete("/tenants/:tenant/api-keys/:key") { _, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .tenantAdmin])
            let id = try context.parameters.require("key")
            guard try await store.keys(tenantId: tenant).contains(where: { $0.id == id }), try await store.revokeKey(id: id, at: Date()) else {
                throw APIError.notFound("api key \(id)")
            }
            return Response(status: .noContent)
        }
    }
}
