import Foundation
import Hummingbird
import OnrampCore
import OnrampStore

extension OnrampAPI {
    func addSecretRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        let writers: Set<Role> = [.platformAdmin, .engineer, .tenantAdmin]
        api.put("/tenants/:tenant/secrets/:name") { request, context in
            let tenant = try context.tenant(allowing: writers)
            guard let box = secretBox else { throw APIError(.conflict, "no_key", "this server has no master key") }
            let name = try context.parameters.require("name")
            guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]{0,63}$", options: .regularExpression) != nil else {
                throw APIError(.unprocessableContent, "invalid", "a secret name is letters, digits and '_'", field: "name")
            }
            guard case .string(let value)? = try await request.jsonBody()["value"] else {
                throw APIError(.unprocessableContent, "missing", "value must be a string", field: "value")
            }
            try await store.putSecret(SecretRecord(tenantId: tenant, name: name, ciphertext: try box.seal(value, context: "\(tenant)/\(name)"), updatedAt: Date()))
            return JSONResponse.make(["name": .string(name), "updated_at": .string(ISOTime.string(Date()))])
        }
        api.get("/tenants/:tenant/secrets") { _, context in
            let tenant = try context.tenant()
            let list = try await store.secrets(tenantId: tenant).map { s -> Value in
                ["name": .string(s.name), "updated_at": .string(ISOTime.string(s.updatedAt))]
            }
            return JSONResponse.make(["secrets": .array(list)])
        }
        api.delete("/tenants/:tenant/secrets/:name") { _, context in
            let tenant = try context.tenant(allowing: writers)
            let name = try context.parameters.require("name")
            guard try await store.deleteSecret(tenantId: tenant, name: name) else { throw APIError.notFound("secret \(name)") }
            return Response(status: .noContent)
        }
    }
}
