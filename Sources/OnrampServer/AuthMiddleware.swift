import Crypto
import Foundation
import Hummingbird
import OnrampStore

/// Authenticates `Authorization: Bearer <api key>` against the stored key hashes.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = OnrampRequestContext
    let store: any AccessStore

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A new secret: 32 random bytes, URL-safe, with a recognisable prefix.
    static func newSecret() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return "onr_" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") else { throw APIError.unauthorized }
        guard let key = try await store.key(secretHash: Self.hash(String(auth.dropFirst(7)))) else { throw APIError.unauthorized }
        var context = context
        context.principal = Principal(keyId: key.id, role: key.role, tenantId: key.tenantId)
        context.logger[metadataKey: "key_id"] = "\(key.id)"
        return try await next(request, context)
    }
}

extension OnrampRequestContext {
    /// The tenant named in the path, if the caller may see it (404 otherwise, so tenants cannot be probed).
    func tenant(allowing roles: Set<Role> = Set(Role.allCases)) throws -> String {
        guard let principal else { throw APIError.unauthorized }
        let tenant = try parameters.require("tenant")
        guard principal.canSee(tenant: tenant) else { throw APIError.notFound("tenant \(tenant)") }
        guard roles.contains(principal.role) else { throw APIError.forbidden }
        return tenant
    }

    func require(_ roles: Set<Role>) throws -> Principal {
        guard let principal else { throw APIError.unauthorized }
        guard roles.contains(principal.role) else { throw APIError.forbidden }
        return principal
    }
}
