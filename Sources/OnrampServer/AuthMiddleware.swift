import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import OnrampCore
import OnrampStore

/// Authenticates `Authorization: Bearer <api key>` against the stored key hashes, or a person's
/// session cookie; with a cookie, every write must carry the session's `X-CSRF-Token`.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = OnrampRequestContext
    static let cookieName = "onramp_session"
    let store: any AccessStore & UserStore

    static func hash(_ secret: String) -> String {
        Hex.string(SHA256.hash(data: Data(secret.utf8)))
    }

    /// A new secret: 32 random bytes, URL-safe, with a recognisable prefix.
    static func newSecret() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return "onr_" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Compares two secrets in time that depends only on their lengths, not on where they differ.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let auth = request.headers[.authorization] {
            let hash = Self.hash(String(auth.dropFirst(7)))
            guard auth.hasPrefix("Bearer "), let key = try await store.key(secretHash: hash) else { throw APIError.unauthorized }
            context.principal = Principal(keyId: key.id, role: key.role, tenantId: key.tenantId, keyHash: hash, name: key.name)
            context.logger[metadataKey: "key_id"] = "\(key.id)"
        } else if let cookie = request.cookies[Self.cookieName] {
            let hash = Self.hash(cookie.value)
            guard let session = try await store.session(secretHash: hash, now: Date()), let user = try await store.user(id: session.userId) else {
                throw APIError.unauthorized
            }
            if ![.get, .head, .options].contains(request.method)
                && !Self.constantTimeEquals(request.headers[HTTPField.Name("X-CSRF-Token")!] ?? "", session.csrfToken) {
                throw APIError(.forbidden, "csrf", "a write with a session cookie needs the session's X-CSRF-Token header")
            }
            context.principal = Principal(keyId: user.id, role: user.role, tenantId: user.tenantId, sessionHash: hash, name: user.email)
            context.logger[metadataKey: "user_id"] = "\(user.id)"
        } else {
            throw APIError.unauthorized
        }
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
