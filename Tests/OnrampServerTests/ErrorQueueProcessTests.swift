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

    /// A replay killed with SIGKILL halfway is taken over by the next start and finishes: every record is calculated
    /// once (the re-sent ones under their idempotency keys), every entry is resolved once, none is queued again.
    @Test func aReplayKilledMidwayIsFinishedByTheNextStartWithEveryRecordOnce() async throws {
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build): \(ProcessTests.binary)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-replay-kill-\(UUID().uuidString)")
        let files = dir.appendingPathComponent("data/tenants/acme/files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Decimal commas: $number refuses every amount, so all 200 records fail in the transform stage.
        var csv = "id,region,amount\n"
        for i in 1...200 { csv += "K\(i),\(["CA", "NY", "TX"][i % 3]),\"\(i % 90),\(i % 10)0\"\n" }
        try csv.write(to: files.appendingPathComponent("orders.csv"), atomically: true, encoding: .utf8)
        // 20 requests of 0.6 s: time enough to kill the replay midway even on a loaded machine.
        let sandbox = try ProcessTests.Child(["taxman-sandbox", "--port", "0", "--latency-ms", "600", "--api-key", "tk"],
                                             log: dir.appendingPathComponent("sandbox.log"))
        defer { sandbox.stop() }
        let sandboxURL = "http://127.0.0.1:\(try await sandbox.port())"
        let serveArgs = ["serve", "--data", dir.appendingPathComponent("data").path, "--port", "0", "--lease", "2",
                         "--egress-allow", "127.0.0.1"]
        let env = ["ONRAMP_ADMIN_KEY": ProcessTests.adminKey]
        var server = try ProcessTests.Child(serveArgs, env: env, log: dir.appendingPathComponent("serve1.log"))
        defer { server.stop() }
        var api = "http://127.0.0.1:\(try await server.port())/api/v1/tenants"
        let admin = ProcessTests.adminKey
        #expect(try await ProcessTests.http("POST", api, key: admin, body: ["id": "acme"]).0 == 201)
        #expect(try await ProcessTests.http("PUT", "\(api)/acme/secrets/TAXMAN_KEY", key: admin,
                                            body: ["value": "tk", "origins": [.string(sandboxURL)]]).0 == 200)
        let document = ProcessTests.ordersToTaxman("orders", path: "orders.csv", batch: 10, sandboxURL: sandboxURL)
        let pid = try #require(try await ProcessTests.http("POST", "\(api)/acme/pipelines", key: admin, body: document).1?["id"]?.stringValue)
        let runId = try #require(try await ProcessTests.http("POST", "\(api)/acme/pipelines/\(pid)/runs", key: admin).1?["id"]?.stringValue)
        func finished(_ id: String, in api: String) async throws -> Value? {
            var detail: Value?
            for _ in 0..<900 {
                detail = try await ProcessTests.http("GET", "\(api)/acme/runs/\(id)", key: admin).1
                if let state = detail?["state"]?.stringValue, !["queued", "running"].contains(state) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            return detail
        }
        let first = try await finished(runId, in: api)
        #expect(first?["summary"]?["records_failed"] == 200, "\(first ?? .null)")

        // The fix: a new version that reads decimal commas. The replay takes all 200 through it.
        var fixed = try #require(document.objectValue)
        fixed["steps"] = .array([["set": ["amount": "$replace(amount, ',', '.')"]]] + (document["steps"]?.arrayValue ?? []))
        #expect(try await ProcessTests.http("POST", "\(api)/acme/pipelines", key: admin, body: .object(fixed)).0 == 201)
        let replay = try await ProcessTests.http("POST", "\(api)/acme/errors/replay", key: admin, body: ["filter": ["run_id": .string(runId)]])
        #expect(replay.0 == 202, "\(replay.1 ?? .null)")
        let replayId = try #require(replay.1?["id"]?.stringValue)
        for _ in 0..<400 {
            let (_, stats) = try await ProcessTests.http("GET", "\(sandboxURL)/_sandbox/stats")
            if (stats?["calculations"]?.numberValue ?? 0) >= 40 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        server.kill9()
        let (_, before) = try await ProcessTests.http("GET", "\(sandboxURL)/_sandbox/stats")
        #expect((before?["calculations"]?.numberValue ?? 0) < 200, "the replay ended before it was killed")

        server = try ProcessTests.Child(serveArgs, env: env, log: dir.appendingPathComponent("serve2.log"))
        api = "http://127.0.0.1:\(try await server.port())/api/v1/tenants"
        let done = try await finished(replayId, in: api)
        #expect(done?["state"] == "succeeded", "\(done ?? .null)")
        #expect((done?["attempts"]?.numberValue ?? 0) >= 2)
        #expect(done?["summary"]?["records_failed"] == 0)
        let (_, stats) = try await ProcessTests.http("GET", "\(sandboxURL)/_sandbox/stats")
        #expect(stats?["calculations"] == 200 && stats?["conflicts"] == 0, "\(stats ?? .null)")
        let open = try await ProcessTests.http("GET", "\(api)/acme/errors?state=open", key: admin).1
        #expect(open?["errors"]?.arrayValue?.isEmpty == true, "\(open ?? .null)")
        var resolved = 0
        var cursor: String?
        repeat {
            let page = try await ProcessTests.http("GET", "\(api)/acme/errors?state=resolved&limit=100" + (cursor.map { "&cursor=\($0)" } ?? ""),
                                                   key: admin).1
            resolved += page?["errors"]?.arrayValue?.count ?? 0
            cursor = page?["next_cursor"]?.stringValue
        } while cursor != nil
        #expect(resolved == 200)
    }
}
