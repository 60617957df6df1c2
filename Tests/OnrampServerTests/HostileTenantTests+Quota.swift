import Foundation
import OnrampCore
import Testing

extension HostileTenantTests {
    /// A tenant cannot fill the disk: its file area holds at most --tenant-quota-mb, counted for uploads
    /// (413 naming the quota and the usage, nothing kept) and for what its runs write there (the run fails
    /// with `file.quota`); the figure is measured again when the server starts, which also removes uploads a
    /// killed server left. Another tenant's quota is its own.
    @Test func theFileAreaQuotaHoldsForUploadsAndRuns() async throws {
        guard Self.available() else { return }
        let dir = try S.temporaryDirectory("hostile-quota")
        defer { try? FileManager.default.removeItem(at: dir) }
        var s = try await S.start(dir, ["--tenant-quota-mb", "1"])
        defer { s.child.stop() }
        try await s.setUp()
        let acme = try #require(s.keys["acme"])
        let limits = try await s.call("GET", "/limits", key: acme)
        #expect(limits.json?["files"]?["quota_bytes"] == .number(1_048_576), "\(limits.body)")

        // 600 KB of CSV fits; 500 KB more does not, and leaves nothing behind.
        let rows = (0..<15_000).map { "\($0),\(String(repeating: "x", count: 33))" }.joined(separator: "\n")
        let csv = Data(("id,name\n" + rows + "\n").utf8)
        #expect(csv.count > 550_000 && csv.count < 650_000)
        #expect(try await s.call("PUT", "/tenants/acme/files/in/rows.csv", key: acme, raw: csv).status == 200)
        let over = try await s.call("PUT", "/tenants/acme/files/in/more.bin", key: acme, raw: Data(count: 500_000))
        #expect(over.status == 413 && over.code == "file.quota", "\(over.body)")
        let message = over.json?["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("1.0 MiB") && message.contains("--tenant-quota-mb"), "\(message)")
        #expect(try await s.call("GET", "/tenants/acme/files/in/more.bin", key: acme).status == 404)
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.area("acme").path + "/in") == ["rows.csv"])
        // Another tenant has its own megabyte.
        #expect(try await s.call("PUT", "/tenants/bobco/files/b.bin", key: s.keys["bobco"], raw: Data(count: 900_000)).status == 200)

        // A run whose file destination would pass the quota fails naming it.
        let run = try await s.run("acme", S.pipeline("fill", source: S.csv("in/rows.csv"),
                                                     destination: ["connector": "file", "config": ["path": "out/all.ndjson"]]))
        let ended = try await s.finished("acme", run)
        #expect(ended["state"] == "failed", "\(ended)")
        #expect(ended["summary"]?["failure_reason"]?.stringValue?.contains("file.quota") == true, "\(ended)")
        // What it wrote before it stopped is counted at once: 100 KB that fit before the run no longer do.
        let afterRun = try await s.call("PUT", "/tenants/acme/files/in/small.bin", key: acme, raw: Data(count: 100_000))
        #expect(afterRun.status == 413, "\(afterRun.body)")

        // After a kill, the server measures the area again and removes the unfinished upload.
        try S.write("partial", to: s.area("acme").appendingPathComponent("in/.upload-0123abcd"))
        try await s.restart()
        #expect(!FileManager.default.fileExists(atPath: s.area("acme").path + "/in/.upload-0123abcd"))
        let again = try await s.call("PUT", "/tenants/acme/files/in/more.bin", key: acme, raw: Data(count: 600_000))
        #expect(again.status == 413 && again.code == "file.quota", "\(again.body)")
        // What the failed run wrote before it stopped stays, and counts, until it is deleted.
        #expect(try await s.call("DELETE", "/tenants/acme/files/in/rows.csv", key: acme).status == 204)
        #expect(try await s.call("DELETE", "/tenants/acme/files/out/all.ndjson", key: acme).status == 204)
        #expect(try await s.call("PUT", "/tenants/acme/files/in/more.bin", key: acme, raw: Data(count: 600_000)).status == 200)
        try await s.expectHealthy()
    }
}
