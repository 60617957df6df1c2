import Foundation
import Hummingbird
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
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
            let body = try await request.jsonBody()
            guard case .string(let value)? = body["value"] else {
                throw APIError(.unprocessableContent, "missing", "value must be a string", field: "value")
            }
            let origins = try Self.secretOrigins(body["origins"])
            let sealed = try box.seal(value, context: "\(tenant)/\(name)")
            try await store.putSecret(SecretRecord(tenantId: tenant, name: name, ciphertext: sealed, updatedAt: Date(),
                                                   origins: origins))
            return JSONResponse.make(["name": .string(name), "updated_at": .string(ISOTime.string(Date())),
                                      "origins": .array(origins.map(Value.string))])
        }
        api.get("/tenants/:tenant/secrets") { _, context in
            let tenant = try context.tenant()
            let list = try await store.secrets(tenantId: tenant).map { s -> Value in
                ["name": .string(s.name), "updated_at": .string(ISOTime.string(s.updatedAt)),
                 "origins": .array(s.origins.map(Value.string))]
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

extension OnrampAPI {
    /// A secret's `origins`: at most 16 distinct `scheme://host[:port]`, written in their normal form.
    /// Secrets typed in a form and not stored, `{NAME: {value, origins}}`, for one preview, check or discover: they stand
    /// in for stored secrets of the same name in that request only, bound to their origins as stored ones are.
    static func inlineSecrets(_ value: Value?) throws -> [String: TenantSecret] {
        guard let value, !value.isNull else { return [:] }
        guard case .object(let entries) = value, entries.count <= 32 else {
            throw APIError(.unprocessableContent, "invalid", "secrets is an object of at most 32 {value, origins}", field: "secrets")
        }
        var out: [String: TenantSecret] = [:]
        for (name, entry) in entries {
            guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]{0,63}$", options: .regularExpression) != nil else {
                throw APIError(.unprocessableContent, "invalid", "a secret name is letters, digits and '_'", field: "secrets")
            }
            guard case .string(let text)? = entry["value"], text.utf8.count <= 64 << 10 else {
                throw APIError(.unprocessableContent, "invalid", "value must be a string of at most 64 KiB",
                               field: "secrets.\(name).value")
            }
            do { out[name] = TenantSecret(value: text, origins: try secretOrigins(entry["origins"])) } catch let e as APIError {
                throw APIError(.unprocessableContent, "invalid", e.message, field: "secrets.\(name).origins")
            }
        }
        return out
    }

    static func secretOrigins(_ value: Value?) throws -> [String] {
        guard let value, !value.isNull else { return [] }
        guard let list = value.arrayValue, list.count <= 16 else {
            throw APIError(.unprocessableContent, "invalid", "origins is a list of at most 16 origins",
                           field: "origins")
        }
        var out: [String] = []
        for (i, item) in list.enumerated() {
            guard let text = item.stringValue, text.utf8.count <= 300, let origin = SecretOrigin(origin: text) else {
                throw APIError(.unprocessableContent, "invalid", "an origin is scheme://host[:port], such as "
                               + "https://api.taxman.example or postgres://db.acme:5432", field: "origins[\(i)]")
            }
            if !out.contains(origin.description) { out.append(origin.description) }
        }
        return out
    }
}
