import Foundation
import GRDB
import OnrampCore
import Testing

extension HostileTenantTests {
    /// Checks and discovers run in a worker process of a real server: a tenant's database file works, a
    /// path or link to the server's own store does not, a file that is not a database is a clear answer,
    /// another tenant's connection is not there, and the server answers throughout.
    @Test func connectionChecksReachOnlyTheTenantsOwnFiles() async throws {
        guard Self.available() else { return }
        let dir = try S.temporaryDirectory("hostile-checks")
        defer { try? FileManager.default.removeItem(at: dir) }
        var s = try await S.start(dir, [])
        defer { s.child.stop() }
        try await s.setUp()
        let acme = try #require(s.keys["acme"])
        let erp = dir.appendingPathComponent("erp.sqlite")
        let queue = try DatabaseQueue(path: erp.path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE sale_order (id INTEGER PRIMARY KEY, name TEXT, write_date TEXT)")
            try db.execute(sql: "INSERT INTO sale_order VALUES (1, 'SO001', '2026-11-30')")
        }
        try queue.close()
        #expect(try await s.call("PUT", "/tenants/acme/files/erp.sqlite", key: acme, raw: try Data(contentsOf: erp)).status == 200)
        #expect(try await s.call("PUT", "/tenants/acme/files/fake.sqlite", key: acme, raw: Data("not a database".utf8)).status == 200)
        #expect(try await s.call("PUT", "/tenants/acme/files/later.sqlite", key: acme, raw: try Data(contentsOf: erp)).status == 200)
        try FileManager.default.createSymbolicLink(atPath: s.area("acme").path + "/store.sqlite",
                                                   withDestinationPath: s.data.path + "/onramp.sqlite")

        func save(_ name: String, _ path: String) async throws -> S.Reply {
            try await s.call("PUT", "/tenants/acme/connections/\(name)", key: acme,
                             json: ["connector": "sqlite", "config": ["path": .string(path), "table": "sale_order"]])
        }
        func check(_ name: String, key: String? = nil) async throws -> S.Reply {
            try await s.call("POST", "/tenants/acme/connections/\(name)/check", key: key ?? acme)
        }
        #expect(try await save("erp", "erp.sqlite").status == 200)
        let ok = try await check("erp")
        #expect(ok.json?["ok"] == true, "\(ok.body)")
        let discovered = try await s.call("POST", "/tenants/acme/connections/erp/discover", key: acme)
        #expect(discovered.json?["streams"]?.arrayValue?.first?["cursor_field"] == ["write_date"], "\(discovered.body)")

        // The server's own store, by path: refused when saved, with the field.
        for path in ["../../onramp.sqlite", s.data.path + "/onramp.sqlite"] {
            let refused = try await save("store", path)
            #expect(refused.status == 422 && refused.field == "config.path", "\(path): \(refused.body)")
        }
        // …and through a link in the area: refused when saved, and when planted after the save, by the
        // check in the worker process.
        let planted = try await save("linked", "store.sqlite")
        #expect(planted.status == 422 && planted.field == "config.path", "\(planted.body)")
        #expect(try await save("later", "later.sqlite").status == 200)
        try FileManager.default.removeItem(atPath: s.area("acme").path + "/later.sqlite")
        try FileManager.default.createSymbolicLink(atPath: s.area("acme").path + "/later.sqlite",
                                                   withDestinationPath: s.data.path + "/onramp.sqlite")
        let linked = try await check("later")
        #expect(linked.json?["ok"] == false && linked.json?["field"] == "source.config.path", "\(linked.body)")
        #expect(!linked.body.contains("schema objects"))
        #expect(try await save("fake", "fake.sqlite").status == 200)
        let fake = try await check("fake")
        #expect(fake.json?["ok"] == false && fake.json?["code"] == "check.unreadable", "\(fake.body)")

        // Another tenant sees nothing of acme's connections; a viewer may not reach out.
        let bobco = try #require(s.keys["bobco"])
        #expect(try await s.call("POST", "/tenants/acme/connections/erp/check", key: bobco).status == 404)
        #expect(try await s.call("POST", "/tenants/bobco/connections/erp/check", key: bobco).status == 404)
        try await s.expectHealthy()
    }
}
