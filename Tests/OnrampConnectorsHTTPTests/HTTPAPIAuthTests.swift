import OnrampConnectorKit
@testable import OnrampConnectorsHTTP
import OnrampCore
import Synchronization
import Testing
import OnrampHTTPSupport

/// Every auth method reaches the data with the right credentials and fails clearly with wrong ones.
@Suite struct HTTPAPIAuthTests {
    func read(_ auth: ERPState.Auth, config: Value) async throws -> (Harness.Read?, OnrampError?, [String]) {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(12))
        await server.state.set(auth: auth)
        return try await server.run { base in
            var c = config.objectValue!
            c["url"] = .string(base + "/api/orders/page")
            c["records_path"] = "orders"
            c["pagination"] = ["type": "page"]
            if case .object(var a)? = c["auth"], a["token_url"] != nil {
                a["token_url"] = .string(base + "/oauth/token")
                c["auth"] = .object(a)
            }
            var read: Harness.Read?
            let error = await Harness.error { read = try await Harness.read(try Harness.source(.object(c))) }
            return (read, error, await server.state.requests)
        }
    }

    @Test func basic() async throws {
        let (ok, _, _) = try await read(.basic("ck", "s3cret"),
                                        config: ["auth": ["type": "basic", "username": "ck", "password": "s3cret"]])
        #expect(ok?.records.count == 12)
        let (_, bad, _) = try await read(.basic("ck", "s3cret"),
                                         config: ["auth": ["type": "basic", "username": "ck", "password": "wrong"]])
        #expect(bad?.code == "http_api.unauthorized")
        #expect(bad?.message.contains("check the user name and password") == true)
    }

    @Test func bearer() async throws {
        let (ok, _, _) = try await read(.bearer("t0k"), config: ["auth": ["type": "bearer", "token": "t0k"]])
        #expect(ok?.records.count == 12)
        let (_, bad, _) = try await read(.bearer("t0k"), config: ["auth": ["type": "bearer", "token": "nope"]])
        #expect(bad?.message.contains("401 from http://127.0.0.1:") == true)
        #expect(bad?.message.contains("check the token") == true)
    }

    @Test func apiKeyInAHeader() async throws {
        let (ok, _, _) = try await read(.apiKeyHeader("X-Shop-Token", "k1"),
                                        config: ["auth": ["type": "api_key", "name": "X-Shop-Token", "key": "k1"]])
        #expect(ok?.records.count == 12)
        let (_, bad, _) = try await read(.apiKeyHeader("X-Shop-Token", "k1"),
                                         config: ["auth": ["type": "api_key", "name": "X-Shop-Token", "key": "k2"]])
        #expect(bad?.message.contains("check the API key") == true)
    }

    @Test func apiKeyInTheQueryIsNeverShownInMessages() async throws {
        let (ok, _, requests) = try await read(.apiKeyQuery("api_key", "k/1+2"),
                                               config: ["auth": ["type": "api_key", "name": "api_key", "key": "k/1+2",
                                                                 "in": "query"]])
        #expect(ok?.records.count == 12)
        #expect(requests.allSatisfy { $0.contains("api_key=k%2F1%2B2") })
        let (_, bad, _) = try await read(.apiKeyQuery("api_key", "k1"),
                                         config: ["auth": ["type": "api_key", "name": "api_key", "key": "secret-k2",
                                                           "in": "query"]])
        #expect(bad?.code == "http_api.unauthorized")
        #expect(bad?.message.contains("secret-k2") == false)
    }

    @Test func oauth2TokenIsCachedAndRefreshedOnceAfterA401() async throws {
        // Tokens work for 3 requests; the read takes 5 pages (4 with records, then the empty one).
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(40))
        await server.state.set(auth: .oauth2(id: "onramp", secret: "cs", uses: 3))
        let read = try await server.run { base in
            try await Harness.read(try Harness.source(
                ["url": .string(base + "/api/orders/page"), "records_path": "orders", "pagination": ["type": "page"],
                 "auth": ["type": "oauth2_client_credentials", "token_url": .string(base + "/oauth/token"),
                          "client_id": "onramp", "client_secret": "cs", "scope": "orders:read"]]))
        }
        #expect(read.ids == Array(1...40))
        #expect(await server.state.tokenFetches == 2)
        let requests = await server.state.requests
        #expect(requests.filter { $0.hasPrefix("/oauth/token") }.count == 2)
        // Page 4 was asked twice: once with the expired token, once with the new one.
        #expect(requests.filter { $0.contains("page=4") }.count == 2)
    }

    @Test(arguments: [1e300, "1e999", "NaN", -5] as [Value])
    func anOAuth2ExpiryOutOfRangeIsClampedNotACrash(expiresIn: Value) async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(25))
        await server.state.set(auth: .oauth2(id: "onramp", secret: "cs", uses: 100))
        await server.state.set(tokenLifetime: expiresIn)
        let read = try await server.run { base in
            try await Harness.read(try Harness.source(
                ["url": .string(base + "/api/orders/page"), "records_path": "orders", "pagination": ["type": "page"],
                 "auth": ["type": "oauth2_client_credentials", "token_url": .string(base + "/oauth/token"),
                          "client_id": "onramp", "client_secret": "cs"]]))
        }
        #expect(read.ids == Array(1...25))
        // A lifetime of 0 or less renews the token before every request; the others reuse the first one.
        let fetches = await server.state.tokenFetches
        #expect(expiresIn == -5 ? fetches == 4 : fetches == 1)
    }

    @Test func anOAuth2TokenLivingForEverIsRenewedAfterAYear() async throws {
        let server = ERPServer()
        await server.state.set(auth: .oauth2(id: "onramp", secret: "cs", uses: 100))
        await server.state.set(tokenLifetime: 1e300)
        let tokens = try await server.run { base in
            let caller = HTTPCaller(client: try OutboundHTTP().client(for: .unrestricted),
                                    policy: RetryPolicy(maxAttempts: 1), clock: .system, auth: nil, maxBytes: 1 << 20,
                                    timeout: .seconds(10))
            let cache = OAuth2TokenCache(tokenURL: base + "/oauth/token", clientID: "onramp", clientSecret: "cs",
                                         scope: nil, basic: true, field: "auth.token_url", caller: caller)
            let clock = Mutex(ContinuousClock.now)
            await cache.setClock { clock.withLock { $0 } }
            var seen = [try await cache.token()]
            clock.withLock { $0 += .seconds(364 * 24 * 3600) }
            seen.append(try await cache.token())
            clock.withLock { $0 += .seconds(24 * 3600) }
            seen.append(try await cache.token())
            return seen
        }
        #expect(tokens == ["tok-1", "tok-1", "tok-2"])
        #expect(OAuth2TokenCache.lifetime(.infinity) == .seconds(365 * 24 * 3600 - 60))
        #expect(OAuth2TokenCache.lifetime(.nan) == nil)
        #expect(OAuth2TokenCache.lifetime(-1) == .zero)
        #expect(OAuth2TokenCache.lifetime(100) == .seconds(90))
    }

    @Test func oauth2ClientCredentialsInTheForm() async throws {
        let (ok, _, requests) = try await read(.oauth2(id: "onramp", secret: "c s", uses: 100),
                                               config: ["auth": ["type": "oauth2_client_credentials", "token_url": "x",
                                                                 "client_id": "onramp", "client_secret": "c s",
                                                                 "client_auth": "body"]])
        #expect(ok?.records.count == 12)
        #expect(requests.filter { $0.hasPrefix("/oauth/token") }.count == 1)
    }

    @Test func oauth2WrongSecretNamesTheTokenURL() async throws {
        let (_, bad, _) = try await read(.oauth2(id: "onramp", secret: "cs", uses: 100),
                                         config: ["auth": ["type": "oauth2_client_credentials", "token_url": "x",
                                                           "client_id": "onramp", "client_secret": "wrong"]])
        #expect(bad?.code == "http.oauth2")
        #expect(bad?.message.contains("/oauth/token answered 401: check the client id and secret") == true)
        #expect(bad?.location == "source.config.auth.token_url")
    }

    @Test func aSecondA401AfterARefreshFailsTheRead() async throws {
        // Tokens that never work: one refresh, then the 401 is reported.
        let (_, bad, requests) = try await read(.oauth2(id: "onramp", secret: "cs", uses: 0),
                                                config: ["auth": ["type": "oauth2_client_credentials", "token_url": "x",
                                                                  "client_id": "onramp", "client_secret": "cs"]])
        #expect(bad?.message.contains("check the client id and secret") == true)
        #expect(requests.filter { $0.hasPrefix("/oauth/token") }.count == 2)
        #expect(requests.filter { $0.hasPrefix("/api/") }.count == 2)
    }

    @Test func secretFieldsAreMarked() throws {
        let auth = Harness.registry().sources["http_api"]!.configSchema["properties"]!["auth"]!["properties"]!
        for field in ["password", "token", "key", "client_secret"] {
            #expect(auth[field]?["x-secret"] == true, "\(field)")
        }
        #expect(auth["username"]?["x-secret"] == nil)
    }

    @Test func missingCredentialsAreAConfigErrorNamingTheField() async throws {
        let error = await Harness.error {
            _ = try Harness.source(["url": "https://erp.example/api/orders", "auth": ["type": "bearer"]])
        }
        #expect(error?.location == "source.config.auth.token")
    }
}
