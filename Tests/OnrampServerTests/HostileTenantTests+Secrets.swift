import Foundation
import OnrampCore
import Testing

extension HostileTenantTests {
    /// A tenant admin who may edit a connection's host points it at a host of its own to receive the secret an
    /// engineer stored for another: every place a secret can go (TAXMAN, an HTTP source and its token URL, a
    /// database, a webhook) is refused at save, validation, preview and connection check, naming the field;
    /// nothing reaches the tenant's host, even with private egress allowed.
    @Test func secretsGoOnlyToTheOriginsTheyAreBoundTo() async throws {
        guard Self.available() else { return }
        let dir = try S.temporaryDirectory("hostile-origins")
        defer { try? FileManager.default.removeItem(at: dir) }
        var s = try await S.start(dir, ["--allow-private-egress"])
        defer { s.child.stop() }
        try await s.setUp()
        let acme = try #require(s.keys["acme"])
        let listener = try LoopbackListener()
        let mine = "http://127.0.0.1:\(listener.port)"
        try S.write("id,region\nT1,CA\n", to: s.area("acme").appendingPathComponent("in/orders.csv"))

        // The engineer stores the key, bound to TAXMAN; the origins are shown, the value never.
        let stored = try await s.call("PUT", "/tenants/acme/secrets/TAXMAN_KEY", key: S.admin,
                                      json: ["value": .string(S.secret), "origins": ["https://API.taxman.example/"]])
        #expect(stored.status == 200 && stored.json?["origins"] == ["https://api.taxman.example"], "\(stored.body)")
        let listed = try await s.call("GET", "/tenants/acme/secrets", key: acme)
        #expect(listed.json?["secrets"]?.arrayValue?.first?["origins"] == ["https://api.taxman.example"], "\(listed.body)")
        s.expectNoLeak(listed.body, "the secrets list")
        for bad: Value in [["https://api.taxman.example/v1"], ["taxman"], "https://x", [1]] {
            let refused = try await s.call("PUT", "/tenants/acme/secrets/X", key: S.admin, json: ["value": "v", "origins": bad])
            #expect(refused.status == 422 && refused.field?.hasPrefix("origins") == true, "\(bad): \(refused.body)")
        }

        let orders = S.csv("in/orders.csv")
        let taxman: Value = ["connector": "taxman", "config": ["base_url": .string(mine), "api_key": "${secret:TAXMAN_KEY}"]]
        let attacks: [(Value, String)] = [
            (S.pipeline("t", source: orders, destination: taxman), "destination.config.base_url"),
            (S.pipeline("h", source: ["connector": "http_api", "config": [
                "url": .string(mine + "/orders"), "auth": ["type": "bearer", "token": "${secret:TAXMAN_KEY}"]]]),
             "source.config.url"),
            (S.pipeline("o", source: ["connector": "http_api", "config": [
                "url": "https://api.taxman.example/orders",
                "auth": ["type": "oauth2_client_credentials", "token_url": .string(mine + "/token"), "client_id": "c",
                         "client_secret": "${secret:TAXMAN_KEY}"]]]), "source.config.auth.token_url"),
            (S.pipeline("w", source: orders, destination: ["connector": "http", "config": [
                "url": .string(mine + "/{id}"), "auth": ["type": "api_key", "key": "${secret:TAXMAN_KEY}"]]]),
             "destination.config.url"),
            (["version": 1, "name": "n", "source": orders, "destination": ["connector": "file", "config": ["path": "o.ndjson"]],
              "notify": ["url": .string(mine + "/hook"), "secret": "${secret:TAXMAN_KEY}"]], "notify.url"),
        ]
        for (document, field) in attacks {
            // Saved by an engineer (tenant admins do not save pipelines) and previewed by the tenant admin.
            let saved = try await s.call("POST", "/tenants/acme/pipelines", key: S.admin, json: document)
            #expect(saved.status == 422 && saved.code == "spec.secret_origin" && saved.field == field, "\(field): \(saved.body)")
            let previewed = try await s.preview("acme", document)
            #expect(previewed.status == 422 && previewed.code == "spec.secret_origin" && previewed.field == field,
                    "\(field): \(previewed.body)")
            for reply in [saved, previewed] { s.expectNoLeak(reply.body, "a secret sent to \(field)") }
        }
        // A connection: refused when saved; one saved with the bound host cannot be edited to point elsewhere.
        let good: Value = ["connector": "taxman", "config": ["base_url": "https://api.taxman.example",
                                                            "api_key": "${secret:TAXMAN_KEY}"]]
        #expect(try await s.call("PUT", "/tenants/acme/connections/tx", key: acme, json: good).status == 200)
        let moved = try await s.call("PUT", "/tenants/acme/connections/tx", key: acme, json: taxman)
        #expect(moved.status == 422 && moved.code == "spec.secret_origin" && moved.field == "config.base_url", "\(moved.body)")
        let usesConnection = S.pipeline("c", source: orders, destination: ["connection": "tx"])
        #expect(try await s.call("POST", "/tenants/acme/pipelines", key: S.admin, json: usesConnection).status == 201)

        // A secret the tenant stored itself without origins goes nowhere a config names.
        #expect(try await s.call("PUT", "/tenants/acme/secrets/MINE", key: acme, json: ["value": "own-value-123"]).status == 200)
        let own = S.pipeline("m", source: orders, destination: ["connector": "taxman", "config": [
            "base_url": "https://api.taxman.example", "api_key": "${secret:MINE}"]])
        let unbound = try await s.preview("acme", own)
        #expect(unbound.status == 422 && unbound.code == "spec.secret_origin" && unbound.body.contains("bound to no origin"),
                "\(unbound.body)")

        #expect(listener.connections() == 0, "a request reached the tenant's host")

        // Re-binding the engineer's secret to the tenant's host takes a value: storing one replaces the old.
        let rebound = try await s.call("PUT", "/tenants/acme/secrets/TAXMAN_KEY", key: acme,
                                       json: ["value": "attacker-chosen", "origins": .array([.string(mine)])])
        #expect(rebound.status == 200)
        #expect(try await s.preview("acme", attacks[0].0).code != "spec.secret_origin")
        try await s.expectHealthy()
    }
}
