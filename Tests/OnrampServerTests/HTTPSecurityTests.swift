import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OnrampCore
@testable import OnrampServer
import OnrampStore
import Testing

/// Response headers, HSTS under TLS and behind a trusted proxy, Secure cookies, and login limits.
@Suite struct HTTPSecurityTests {
    static let nosniff = HTTPField.Name("X-Content-Type-Options")!
    static let referrer = HTTPField.Name("Referrer-Policy")!
    static let csp = HTTPField.Name("Content-Security-Policy")!
    static let frames = HTTPField.Name("X-Frame-Options")!
    static let hsts = HTTPField.Name("Strict-Transport-Security")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    @Test func everyResponseCarriesTheHeadersAndHTMLGetsACSP() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let router = f.api.buildRouter()
        // The UI is not built yet: an HTML page on the same router stands in for it.
        router.get("/ui") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "<p>hi</p>")))
        }
        try await Application(router: Conformance(router)).test(.router) { client in
            let ok = try await client.execute(uri: "/healthz", method: .get)
            let missing = try await client.execute(uri: "/no/such/route", method: .get)
            let denied = try await client.execute(uri: "/api/v1/tenants", method: .get)
            let html = try await client.execute(uri: "/ui", method: .get)
            #expect(ok.status == .ok && missing.status == .notFound && denied.status == .unauthorized && html.status == .ok)
            for r in [ok, missing, denied, html] {
                #expect(r.headers[Self.nosniff] == "nosniff")
                #expect(r.headers[Self.referrer] == "no-referrer")
                #expect(r.headers[Self.hsts] == nil)
            }
            for r in [ok, missing, denied] { #expect(r.headers[Self.csp] == nil && r.headers[Self.frames] == nil) }
            let policy = try #require(html.headers[Self.csp])
            #expect(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"))
            #expect(html.headers[Self.frames] == "DENY")
            // Forwarded headers mean nothing without --trust-proxy.
            let spoofed = try await client.execute(uri: "/healthz", method: .get, headers: [Self.forwardedProto: "https"])
            #expect(spoofed.headers[Self.hsts] == nil)
        }
    }

    @Test func hstsUnderTLSAndBehindATrustedProxyWithSecureCookies() async throws {
        let first = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: first.dir) }
        var tls = first.api
        tls.secureCookies = true
        try await Application(router: Conformance(tls.buildRouter())).test(.router) { client in
            let r = try await client.execute(uri: "/api/v1/no-such", method: .get)
            #expect(r.headers[Self.hsts]?.hasPrefix("max-age=") == true)
        }
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        var proxied = f.api
        proxied.trustProxy = true
        let password = "a long enough password"
        _ = await f.store.createUser(UserRecord(id: "u1", email: "ann@acme.test", role: .tenantAdmin, tenantId: "acme",
                                                passwordHash: OnrampAPI.hashPassword(password), createdAt: Date()))
        try await Application(router: Conformance(proxied.buildRouter())).test(.router) { client in
            let plain = try await client.execute(uri: "/healthz", method: .get, headers: [Self.forwardedProto: "http"])
            #expect(plain.headers[Self.hsts] == nil)
            let secure = try await client.execute(uri: "/healthz", method: .get, headers: [Self.forwardedProto: "https"])
            #expect(secure.headers[Self.hsts] != nil)
            let body = APITests.body(["email": "ann@acme.test", "password": .string(password)])
            let overHTTP = try await client.execute(uri: "/api/v1/login", method: .post, body: body)
            #expect(overHTTP.status == .ok)
            #expect(overHTTP.headers[.setCookie]?.contains("Secure") == false)
            let overHTTPS = try await client.execute(uri: "/api/v1/login", method: .post, headers: [Self.forwardedProto: "https"], body: body)
            #expect(overHTTPS.headers[.setCookie]?.contains("Secure") == true)
        }
    }

    @Test func loginLocksAnAccountWith429AndRetryAfterAndCountsAddresses() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        var api = f.api
        api.trustProxy = true
        let password = "a long enough password"
        _ = await f.store.createUser(UserRecord(id: "u1", email: "ann@acme.test", role: .tenantAdmin, tenantId: "acme",
                                                passwordHash: OnrampAPI.hashPassword(password), createdAt: Date()))
        try await Application(router: Conformance(api.buildRouter())).test(.router) { client in
            func login(_ email: String, _ password: String, from address: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/v1/login", method: .post, headers: [Self.forwardedFor: "198.51.100.1, \(address)"],
                                         body: APITests.body(["email": .string(email), "password": .string(password)]))
            }
            for _ in 0..<4 { #expect(try await login("ann@acme.test", "wrong", from: "203.0.113.1").status == .unauthorized) }
            let locking = try await login("ANN@acme.test", "wrong", from: "203.0.113.2")
            #expect(locking.status == .tooManyRequests)
            // Locked: even the right password, from another address, waits.
            let locked = try await login("ann@acme.test", password, from: "203.0.113.3")
            #expect(locked.status == .tooManyRequests)
            let wait = try #require(locked.headers[.retryAfter].flatMap(Int.init))
            #expect(wait > 800 && wait <= 900)
            #expect(try APITests.json(locked)["error"]?["code"] == "rate_limited")
            // One address spraying many accounts is stopped by the address limit (20).
            var statuses: [HTTPResponse.Status] = []
            for i in 0..<21 { statuses.append(try await login("nobody\(i)@acme.test", "wrong", from: "203.0.113.9").status) }
            #expect(statuses.prefix(19).allSatisfy { $0 == .unauthorized })
            #expect(statuses.suffix(2).allSatisfy { $0 == .tooManyRequests })
            #expect(try await login("nobody0@acme.test", "wrong", from: "203.0.113.10").status == .unauthorized)
        }
    }

    @Test func csrfTokensCompareInConstantTimeAndExactly() {
        #expect(AuthMiddleware.constantTimeEquals("onr_abc", "onr_abc"))
        #expect(!AuthMiddleware.constantTimeEquals("onr_abc", "onr_abd"))
        #expect(!AuthMiddleware.constantTimeEquals("onr_abc", "onr_ab"))
        #expect(!AuthMiddleware.constantTimeEquals("", "onr_abc"))
        #expect(AuthMiddleware.constantTimeEquals("", ""))
    }
}
