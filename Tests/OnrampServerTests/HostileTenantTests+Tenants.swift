import Foundation
import OnrampCore
import Testing

/// A hostile tenant reaching another tenant's anything, and addresses its connectors must not reach.
extension HostileTenantTests {
    /// Every route of tenant B answers 404 to A's key (as if B did not exist), also B's ids under A's
    /// own paths; A's pipeline cannot name B's connection; B's things are unchanged afterwards.
    @Test func aTenantReachesNothingOfAnotherTenant() async throws {
        guard Self.available() else { return }
        let dir = try S.temporaryDirectory("hostile-tenants")
        defer { try? FileManager.default.removeItem(at: dir) }
        var s = try await S.start(dir, [])
        defer { s.child.stop() }
        try await s.setUp()
        let a = try #require(s.keys["acme"])
        let b = try #require(s.keys["bobco"])
        let content = "id,name\n1,BOB-PRIVATE-ROW-e4\n"
        #expect(try await s.call("PUT", "/tenants/bobco/files/b.csv", key: b, raw: Data(content.utf8)).status / 100 == 2)
        #expect(try await s.call("PUT", "/tenants/bobco/secrets/BSECRET", key: b, json: ["value": .string(S.secret)]).status == 200)
        let connection: Value = ["connector": "csv", "config": ["path": "b.csv"]]
        #expect(try await s.call("PUT", "/tenants/bobco/connections/bconn", key: b, json: connection).status / 100 == 2)
        let document: Value = ["version": 1, "name": "bobs", "source": ["connection": "bconn"],
                               "destination": ["connector": "file", "config": ["path": "out/b.ndjson"]]]
        let saved = try await s.call("POST", "/tenants/bobco/pipelines", key: S.admin, json: document)
        let bp = try #require(saved.json?["id"]?.stringValue)
        let br = try #require(try await s.call("POST", "/tenants/bobco/pipelines/\(bp)/runs", key: b).json?["id"]?.stringValue)
        #expect(try await s.finished("bobco", br)["state"] == "succeeded")
        let schedule = try await s.call("POST", "/tenants/bobco/pipelines/\(bp)/schedules", key: b,
                                        json: ["cron": "0 6 * * *", "timezone": "UTC", "enabled": false])
        let bs = try #require(schedule.json?["id"]?.stringValue)
        let t = "/tenants/bobco"
        let attempts: [(String, String, Value?)] = [
            ("GET", t, nil), ("GET", "\(t)/pipelines", nil), ("GET", "\(t)/pipelines/\(bp)", nil),
            ("GET", "\(t)/pipelines/bobs", nil),
            ("GET", "\(t)/pipelines/\(bp)/versions", nil), ("GET", "\(t)/pipelines/\(bp)/versions/1", nil),
            ("POST", "\(t)/pipelines", document), ("DELETE", "\(t)/pipelines/\(bp)", nil),
            ("POST", "\(t)/pipelines/\(bp)/runs", [:]), ("GET", "\(t)/runs", nil), ("GET", "\(t)/runs/\(br)", nil),
            ("GET", "\(t)/runs/\(br)/results", nil), ("GET", "\(t)/runs/\(br)/errors", nil), ("GET", "\(t)/runs/\(br)/logs", nil),
            ("POST", "\(t)/runs/\(br)/cancel", nil), ("GET", "\(t)/files", nil), ("GET", "\(t)/files/b.csv", nil),
            ("PUT", "\(t)/files/b.csv", "overwritten"), ("DELETE", "\(t)/files/b.csv", nil),
            ("GET", "\(t)/connections", nil), ("GET", "\(t)/connections/bconn", nil), ("PUT", "\(t)/connections/bconn", connection),
            ("DELETE", "\(t)/connections/bconn", nil), ("GET", "\(t)/secrets", nil),
            ("PUT", "\(t)/secrets/BSECRET", ["value": "x"]),
            ("DELETE", "\(t)/secrets/BSECRET", nil), ("GET", "\(t)/schedules", nil), ("GET", "\(t)/schedules/\(bs)", nil),
            ("PATCH", "\(t)/schedules/\(bs)", ["enabled": true]), ("DELETE", "\(t)/schedules/\(bs)", nil),
            ("POST", "\(t)/pipelines/\(bp)/schedules", ["cron": "* * * * *", "timezone": "UTC"]), ("GET", "\(t)/audit", nil),
            ("GET", "\(t)/api-keys", nil), ("POST", "\(t)/api-keys", ["name": "mine", "role": "tenant_admin"]),
            ("GET", "\(t)/users", nil), ("POST", "\(t)/preview", ["document": document]),
            ("GET", "/tenants/acme/pipelines/\(bp)", nil), ("GET", "/tenants/acme/runs/\(br)", nil),
            ("GET", "/tenants/acme/runs/\(br)/results", nil), ("GET", "/tenants/acme/runs/\(br)/logs", nil),
            ("GET", "/tenants/acme/schedules/\(bs)", nil), ("POST", "/tenants/acme/runs/\(br)/cancel", nil),
        ]
        for (method, path, body) in attempts {
            let raw = body?.stringValue.map { Data($0.utf8) }
            let reply = try await s.call(method, path, key: a, json: raw == nil ? body : nil, raw: raw)
            #expect(reply.status == 404, "\(method) \(path): \(reply.status) \(reply.body.prefix(200))")
            #expect(!reply.body.contains("BOB-PRIVATE") && !reply.body.contains(S.secret), "\(method) \(path) leaks")
        }
        let tenants = try await s.call("GET", "/tenants", key: a)
        #expect(tenants.status == 200 && tenants.body.contains("acme") && !tenants.body.contains("bobco"), "\(tenants.body)")

        // A's document naming B's connection: refused, naming no connection of B's.
        let borrowing: Value = ["version": 1, "name": "borrow", "source": ["connection": "bconn"],
                                "destination": ["connector": "file", "config": ["path": "out/a.ndjson"]]]
        for reply in [try await s.call("POST", "/tenants/acme/pipelines", key: S.admin, json: borrowing),
                      try await s.preview("acme", borrowing)] {
            #expect(reply.status == 422 && reply.code == "spec.connection" && reply.field == "source.connection", "\(reply.body)")
            #expect(!reply.body.contains("BOB-PRIVATE") && !reply.body.contains("b.csv"), "\(reply.body)")
        }

        // B's things are as B left them.
        #expect(try await s.call("GET", "\(t)/files/b.csv", key: b).body == content)
        #expect(try await s.call("GET", "\(t)/secrets", key: b).body.contains("BSECRET"))
        #expect(try await s.call("GET", "\(t)/connections/bconn", key: b).status == 200)
        #expect(try await s.call("GET", "\(t)/schedules/\(bs)", key: b).json?["enabled"] == false)
        #expect(try await s.call("GET", "\(t)/pipelines", key: b).body.contains(bp))
        #expect(try await s.call("GET", "\(t)/runs/\(br)", key: b).json?["state"] == "succeeded")
        try await s.expectHealthy()
    }

    /// A TAXMAN destination at the metadata address or at loopback, without `--egress-allow` or
    /// `--allow-private-egress`: refused with `egress.refused`, and no connection reaches the listener.
    @Test func connectorsReachNoMetadataOrLoopbackAddress() async throws {
        guard Self.available() else { return }
        let dir = try S.temporaryDirectory("hostile-egress")
        defer { try? FileManager.default.removeItem(at: dir) }
        var s = try await S.start(dir, [])
        defer { s.child.stop() }
        try await s.setUp()
        let listener = try LoopbackListener()
        try S.write("id,region,amount\nT1,CA,10.00\nT2,NY,5.00\n", to: s.area("acme").appendingPathComponent("in/orders.csv"))
        // Bound to the hosts tried, so that only the egress rules refuse them.
        let origins: Value = ["http://169.254.169.254", .string("http://127.0.0.1:\(listener.port)"),
                              .string("http://localhost:\(listener.port)")]
        #expect(try await s.call("PUT", "/tenants/acme/secrets/TAXMAN_KEY", key: s.keys["acme"],
                                 json: ["value": "tk", "origins": origins]).status == 200)
        let map = """
            {"transactionId": id, "type": "SalesOrder", "date": "2026-11-03", "currency": "USD",
             "shipTo": {"country": "US", "region": region}, "lines": [{"number": "1", "quantity": 1, "amount": $number(amount)}]}
            """
        for url in ["http://169.254.169.254/", "http://127.0.0.1:\(listener.port)", "http://localhost:\(listener.port)/"] {
            let document = S.pipeline("egress", source: S.csv("in/orders.csv"), steps: [["map": .string(map)]],
                                      destination: ["connector": "taxman", "config": ["base_url": .string(url),
                                                                                      "api_key": "${secret:TAXMAN_KEY}"]])
            let saved = try await s.call("POST", "/tenants/acme/pipelines", key: S.admin, json: document)
            if saved.status == 422 {
                #expect(saved.code == "egress.refused", "\(url): \(saved.body)")
                continue
            }
            let run = try await s.run("acme", document)
            let ended = try await s.finished("acme", run)
            let state = ended["state"]?.stringValue ?? ""
            #expect(ended["summary"]?["records_written"] == 0, "\(url): \(ended)")
            let text = try await s.artifacts("acme", run) + "\(ended)"
            #expect(["failed", "succeeded_with_errors"].contains(state) && text.contains("egress.refused"), "\(url): \(ended)")
        }
        #expect(listener.connections() == 0, "a request reached the loopback listener")
        #expect(listener.probe() && listener.connections() == 1)
        try await s.expectHealthy()
    }
}
