import Foundation
import OnrampCore
import Testing

/// `onramp errors` and `onramp replay` against a real `onramp serve` (runs in `exec-run` children) and TAXMAN sandbox.
@Suite struct ErrorQueueProcessTests {
    @Test func theCLIShowsTheGroupsAndReplaysAFixedRecordThroughTheServer() async throws {
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build): \(ProcessTests.binary)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-replay-\(UUID().uuidString)")
        let files = dir.appendingPathComponent("data/tenants/acme/files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "id,region,amount\nR1,CA,10.00\nR2,ZZ,5.00\nR3,NY,7.50\n".write(to: files.appendingPathComponent("orders.csv"), atomically: true,
                                                                           encoding: .utf8)
        let sandbox = try ProcessTests.Child(["taxman-sandbox", "--port", "0", "--api-key", "tk"], log: dir.appendingPathComponent("sandbox.log"))
        defer { sandbox.stop() }
        let sandboxURL = "http://127.0.0.1:\(try await sandbox.port())"
        let server = try ProcessTests.Child(["serve", "--data", dir.appendingPathComponent("data").path, "--port", "0",
                                             "--egress-allow", "127.0.0.1"],
                                            env: ["ONRAMP_ADMIN_KEY": ProcessTests.adminKey], log: dir.appendingPathComponent("serve.log"))
        defer { server.stop() }
        let base = "http://127.0.0.1:\(try await server.port())"
        let api = "\(base)/api/v1/tenants"
        let admin = ProcessTests.adminKey
        #expect(try await ProcessTests.http("POST", api, key: admin, body: ["id": "acme"]).0 == 201)
        #expect(try await ProcessTests.http("PUT", "\(api)/acme/secrets/TAXMAN_KEY", key: admin,
                                                  body: ["value": "tk", "origins": [.string(sandboxURL)]]).0 == 200)
        let document = ProcessTests.ordersToTaxman("orders", path: "orders.csv", batch: 10, sandboxURL: sandboxURL)
        let pid = try #require(try await ProcessTests.http("POST", "\(api)/acme/pipelines", key: admin, body: document).1?["id"]?.stringValue)
        let runId = try #require(try await ProcessTests.http("POST", "\(api)/acme/pipelines/\(pid)/runs", key: admin).1?["id"]?.stringValue)
        var detail: Value?
        for _ in 0..<400 {
            detail = try await ProcessTests.http("GET", "\(api)/acme/runs/\(runId)", key: admin).1
            if detail?["state"] != "queued" && detail?["state"] != "running" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(detail?["state"] == "succeeded_with_errors", "\(detail ?? .null)")
        let cli = ["--server", base, "--tenant", "acme"]
        let env = ["ONRAMP_API_KEY": admin]
        let groups = try await CommandRunner.run(ProcessTests.binary, ["errors"] + cli + ["--run", runId], directory: dir, env: env)
        #expect(groups.status == 0 && groups.stdout.contains("1 × taxman.InvalidAddress at shipTo.region"), "\(groups.stdout)\(groups.stderr)")

        let entries = try await ProcessTests.http("GET", "\(api)/acme/errors?run_id=\(runId)", key: admin).1?["errors"]?.arrayValue ?? []
        let entryId = try #require(entries.first?["id"]?.stringValue)
        var value = try #require(try await ProcessTests.http("GET", "\(api)/acme/errors/\(entryId)", key: admin).1?["value"]?.objectValue)
        value["shipTo"] = ["country": "US", "region": "TX"]
        #expect(try await ProcessTests.http("PUT", "\(api)/acme/errors/\(entryId)/value", key: admin, body: ["value": .object(value)]).0 == 200)

        let replay = try await CommandRunner.run(ProcessTests.binary, ["replay"] + cli + ["--run", runId, "--code", "taxman.InvalidAddress", "--wait"],
                                                 directory: dir, env: env)
        #expect(replay.status == 0 && replay.stdout.contains("succeeded: 1 replayed, 1 resolved, 0 failed again"),
                "\(replay.stdout)\(replay.stderr)")
        let entry = try await ProcessTests.http("GET", "\(api)/acme/errors/\(entryId)", key: admin).1
        #expect(entry?["state"] == "resolved")
        // Nothing open is left to replay: the CLI says why and exits 1.
        let again = try await CommandRunner.run(ProcessTests.binary, ["replay"] + cli + ["--run", runId], directory: dir, env: env)
        #expect(again.status == 1 && again.stderr.contains("replay.nothing"), "\(again.stderr)")
    }
}
