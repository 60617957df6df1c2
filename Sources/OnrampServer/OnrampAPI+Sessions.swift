import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import OnrampCore
import OnrampStore

extension OnrampAPI {
    static let sessionLifetime: TimeInterval = 8 * 3600

    static func userValue(_ u: UserRecord) -> Value {
        ["id": .string(u.id), "email": .string(u.email), "role": .string(u.role.rawValue), "tenant_id": u.tenantId.map(Value.string) ?? .null,
         "created_at": .string(ISOTime.string(u.createdAt))]
    }

    /// Password sign-in for people: sets an HttpOnly, SameSite=Strict session cookie and returns the
    /// CSRF token that every write made with the cookie must send as `X-CSRF-Token`. Failures are
    /// counted per account and per client address; a locked one is answered 429 with `Retry-After`.
    func addLoginRoute(_ router: Router<OnrampRequestContext>, throttle: LoginThrottle) {
        router.post("/api/v1/login") { request, context -> Response in
            // A browser says where a request comes from: a sign-in posted by another site's page is refused (login CSRF).
            if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], !["same-origin", "none"].contains(site) {
                throw APIError(.forbidden, "csrf", "sign in from Onramp's own pages")
            }
            let body = try await request.jsonBody()
            guard case .string(let email)? = body["email"], case .string(let password)? = body["password"] else {
                throw APIError(.unprocessableContent, "missing", "email and password are required", field: body["email"] == nil ? "email" : "password")
            }
            let address = request.clientAddress(peer: context.peerAddress, trustProxy: trustProxy)
            let keys = [LoginLimiter.account(email), .address(address)]
            if let wait = await throttle.retryAfter(keys) { return try Self.tooManyAttempts(wait, request, context) }
            let user = try await store.user(email: email)
            // Verify against a fixed hash when the user is unknown, so timing does not reveal which e-mails exist.
            let hash = user?.passwordHash ?? Self.unknownUserHash
            guard await Self.offloaded({ Bcrypt.verify(password, hash: hash) }), let user else {
                if let wait = await throttle.failed(keys) { return try Self.tooManyAttempts(wait, request, context) }
                throw APIError(.unauthorized, "unauthorized", "wrong e-mail or password")
            }
            await throttle.succeeded(account: keys[0])
            let secret = AuthMiddleware.newSecret()
            let csrf = AuthMiddleware.newSecret()
            try await store.createSession(SessionRecord(secretHash: AuthMiddleware.hash(secret), userId: user.id, csrfToken: csrf,
                                                        expiresAt: Date().addingTimeInterval(Self.sessionLifetime)))
            var signedIn = context
            signedIn.principal = Principal(keyId: user.id, role: user.role, tenantId: user.tenantId, sessionHash: "", name: user.email)
            await AuditMiddleware.record(store, signedIn, action: "login", resourceType: "session", resourceId: user.id,
                                         tenantId: user.tenantId, status: 200)
            var response = JSONResponse.make(["user": Self.userValue(user), "csrf_token": .string(csrf)])
            let secure = request.arrivedOverHTTPS(tls: secureCookies, trustProxy: trustProxy)
            response.setCookie(try Cookie.validated(name: AuthMiddleware.cookieName, value: secret, maxAge: Int(Self.sessionLifetime), path: "/",
                                                    secure: secure, httpOnly: true, sameSite: .strict))
            return response
        }
    }

    static func tooManyAttempts(_ wait: TimeInterval, _ request: Request, _ context: OnrampRequestContext) throws -> Response {
        let seconds = max(1, Int(wait.rounded(.up)))
        var response = try APIError(.tooManyRequests, "rate_limited", "too many failed sign-ins; try again in \(seconds) s")
            .response(from: request, context: context)
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    /// Runs CPU-heavy work (bcrypt) on a Dispatch thread, leaving the server's threads free.
    static func offloaded<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }

    func addUserRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.post("/logout") { request, context -> Response in
            if let hash = context.principal?.sessionHash { try await store.deleteSession(secretHash: hash) }
            var response = Response(status: .noContent)
            let secure = request.arrivedOverHTTPS(tls: secureCookies, trustProxy: trustProxy)
            response.setCookie(try Cookie.validated(name: AuthMiddleware.cookieName, value: "", maxAge: 0, path: "/", secure: secure,
                                                    httpOnly: true, sameSite: .strict))
            return response
        }
        api.post("/tenants/:tenant/users") { request, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .tenantAdmin])
            guard try await store.tenant(id: tenant) != nil else { throw APIError.notFound("tenant \(tenant)") }
            let body = try await request.jsonBody()
            guard case .string(let email)? = body["email"], email.contains("@") else {
                throw APIError(.unprocessableContent, "invalid", "must be an e-mail address", field: "email")
            }
            guard let role = body["role"]?.stringValue.flatMap(Role.init(rawValue:)), !role.isPlatformWide else {
                throw APIError(.unprocessableContent, "invalid", "role must be tenant_admin or tenant_viewer", field: "role")
            }
            var generated: String?
            let password: String
            if case .string(let p)? = body["password"] {
                try Self.checkPasswordLength(p, field: "password")
                password = p
            } else {
                generated = AuthMiddleware.newSecret()
                password = generated!
            }
            let user = UserRecord(id: UUID().uuidString.lowercased(), email: email, role: role, tenantId: tenant,
                                  passwordHash: await Self.offloaded { Self.hashPassword(password) }, createdAt: Date())
            guard try await store.createUser(user) else { throw APIError(.conflict, "conflict", "\(email) has an account", field: "email") }
            var out = Self.userValue(user).objectValue!
            if let generated { out["password"] = .string(generated) }  // shown once
            return JSONResponse.created(.object(out), at: "/api/v1/tenants/\(tenant)/users/\(user.id)")
        }
        api.get("/tenants/:tenant/users/:user") { _, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .tenantAdmin])
            let id = try context.parameters.require("user")
            guard let user = try await store.user(id: id), user.tenantId == tenant else { throw APIError.notFound("user \(id)") }
            return JSONResponse.make(Self.userValue(user))
        }
        api.get("/tenants/:tenant/users") { request, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .tenantAdmin])
            let page = try ListPage(request).slice(try await store.users(tenantId: tenant)) {
                ListPage.createdKey($0.createdAt, $0.id)
            }
            return JSONResponse.make(["users": .array(page.items.map(Self.userValue)), "next_cursor": page.next])
        }
    }

    static let bcryptCost: UInt8 = 10

    /// 12 characters or more, and at most the 72 bytes of UTF-8 that bcrypt reads (more would be ignored silently).
    static func checkPasswordLength(_ password: String, field: String) throws {
        guard password.count >= 12, password.utf8.count <= 72 else {
            throw APIError(.unprocessableContent, "invalid", "a password has at least 12 characters and at most 72 bytes", field: field)
        }
    }

    /// A bcrypt hash of a password at the server's cost.
    static func hashPassword(_ password: String) -> String { Bcrypt.hash(password, cost: bcryptCost) }
    static let unknownUserHash = Bcrypt.hash("no such user", cost: bcryptCost)

    /// On first start (no platform admin user yet) creates `email` with `password`, or a generated
    /// password, which is returned to print once.
    public func bootstrapAdminUser(email: String, password: String?) async throws -> String? {
        guard try await !store.users(tenantId: nil).contains(where: { $0.role == .platformAdmin }) else { return nil }
        let value = password ?? AuthMiddleware.newSecret()
        _ = try await store.createUser(UserRecord(id: UUID().uuidString.lowercased(), email: email, role: .platformAdmin, tenantId: nil,
                                                  passwordHash: Bcrypt.hash(value, cost: Self.bcryptCost), createdAt: Date()))
        return value
    }
}
