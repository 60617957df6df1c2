import Foundation
import Hummingbird
import HummingbirdBcrypt
import OnrampCore
import OnrampStore

extension OnrampAPI {
    /// `GET /me`: who the caller is; a signed-in person also gets the session's CSRF token (a page reloaded
    /// after sign-in needs it for its writes). `POST /me/password`: a person changes their password.
    func addAccountRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.get("/me") { _, context in
            guard let principal = context.principal else { throw APIError.unauthorized }
            var csrf: Value = .null
            if let hash = principal.sessionHash, let session = try await store.session(secretHash: hash, now: Date()) {
                csrf = .string(session.csrfToken)
            }
            let kind = principal.sessionHash == nil ? "api_key" : "session"
            return JSONResponse.make([
                "principal": ["kind": .string(kind), "id": .string(principal.keyId), "name": .string(principal.name),
                              "role": .string(principal.role.rawValue), "tenant_id": principal.tenantId.map(Value.string) ?? .null],
                "csrf_token": csrf,
            ])
        }
        api.post("/me/password") { request, context -> Response in
            guard let principal = context.principal else { throw APIError.unauthorized }
            guard let hash = principal.sessionHash else {
                throw APIError(.forbidden, "forbidden", "only a signed-in person has a password; an API key does not")
            }
            let body = try await request.jsonBody()
            try Self.onlyKeys(body, ["current_password", "new_password"])
            guard case .string(let current)? = body["current_password"] else {
                throw APIError(.unprocessableContent, "missing", "the current password is required", field: "current_password")
            }
            guard case .string(let new)? = body["new_password"] else {
                throw APIError(.unprocessableContent, "missing", "the new password is required", field: "new_password")
            }
            guard (12...1024).contains(new.count) else {
                throw APIError(.unprocessableContent, "invalid", "a password has 12 to 1,024 characters", field: "new_password")
            }
            guard let user = try await store.user(id: principal.keyId) else { throw APIError.unauthorized }
            guard await Self.offloaded({ Bcrypt.verify(current, hash: user.passwordHash) }) else {
                throw APIError(.unprocessableContent, "invalid", "the current password is not right", field: "current_password")
            }
            let newHash = await Self.offloaded { Self.hashPassword(new) }
            guard try await store.setPassword(userId: user.id, passwordHash: newHash, keeping: hash) else { throw APIError.unauthorized }
            return Response(status: .noContent)
        }
    }

    /// Refuses a body that is not an object or has a key outside `allowed` (422 naming the key).
    static func onlyKeys(_ body: Value, _ allowed: [String]) throws {
        guard case .object(let o) = body else { throw APIError(.unprocessableContent, "invalid", "the body must be an object") }
        for k in o.keys where !allowed.contains(k) {
            throw APIError(.unprocessableContent, "unknown_key", "unknown key; expected \(allowed.joined(separator: ", "))", field: k)
        }
    }
}
