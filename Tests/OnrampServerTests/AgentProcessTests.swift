import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OnrampCore
import Testing

/// The edge agent end to end with real processes: `onramp agent` reads a folder of CSV exports on the "customer's
/// machine", spools and pushes to a real `onramp serve`, whose push pipeline sends each order to the TAXMAN sandbox.
/// Meanwhile the agent is killed (-9) and restarted, the server is killed and restarted (its port closed meanwhile),
/// and new exports keep arriving. At the end every order was read by the server exactly once, calculated exactly
/// once, and every batch is there for the customer to see.
@Suite struct AgentProcessTests {
    typealias Child = ProcessTests.Child

    @Test func anAgentKilledAndAServerKilledLoseNothingAndDuplicateNothing() async throws {
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build): \(ProcessTests.binary)")
            return
        }
        let dir = try HostileServer.temporaryDirectory("agent")
        defer { try? FileManager.default.removeItem(at: dir) }
        func log(_ name: String) -> URL { dir.appendingPathComponent(name) }
        let sandbox = try Child(["taxman-sandbox", "--port", "0", "--latency-ms", "5", "--api-key", "tk"], log: log("sandbox.log"))
        defer { sandbox.stop() }
        let sandboxURL = "http://127.0.0.1:\(try await sandbox.port())"
        let env = ["ONRAMP_ADMIN_KEY": ProcessTests.adminKey]
        let data = dir.appendingPathComponent("data").path
        var server = try Child(["serve", "--data", data, "--port", "0", "--lease", "2", "--egress-allow", "127.0.0.1"],
                               env: env, log: log("serve-0.log"))
        defer { server.stop() }
        let port = try await server.port()
        let api = "http://127.0.0.1:\(port)/api/v1"
        let admin = ProcessTests.adminKey

        // The platform side: a tenant, its TAXMAN key, a push pipeline and a push key.
        #expect(try await ProcessTests.http("POST", "\(api)/tenants", key: admin, body: ["id": "acme"]).0 == 201)
        #expect(try await ProcessTests.http("PUT", "\(api)/tenants/acme/secrets/TAXMAN_KEY", key: admin,
                                            body: ["value": "tk", "origins": [.string(sandboxURL)]]).0 == 200)
        var pipeline = ProcessTests.ordersToTaxman("pushed", path: "-", batch: 20, sandboxURL: sandboxURL).objectValue!
        pipeline["source"] = ["connector": "push", "config": ["format": "ndjson"]]
        let (saved, created) = try await ProcessTests.http("POST", "\(api)/tenants/acme/pipelines", key: admin, body: .object(pipeline))
        #expect(saved == 201, "\(created.map { JSONWriter.string($0) } ?? "")")
        let pid = try #require(created?["id"]?.stringValue)
        let (made, key) = try await ProcessTests.http("POST", "\(api)/tenants/acme/pipelines/\(pid)/push-keys", key: admin,
                                                     body: ["name": "warehouse"])
        #expect(made == 201)
        let pushKey = try #require(key?["key"]?.stringValue)

        // The customer's side: exports in a folder, a pipeline that reads each new file once and pushes.
        let exports = dir.appendingPathComponent("site/exports")
        try FileManager.default.createDirectory(at: exports, withIntermediateDirectories: true)
        var orders = 0
        // Each export repeats 10 orders of the one before (an ERP that re-exports a day's tail): the agent's dedupe
        // step, whose memory lives in the spool with the checkpoint, drops them across runs and restarts.
        func export(_ n: Int) throws {
            var csv = "id,region,amount\n"
            for i in 0..<150 { csv += "F\(n)-\(i),\(["CA", "NY", "TX"][i % 3]),\(10 + i % 90).50\n" }
            if n > 0 { for i in 140..<150 { csv += "F\(n - 1)-\(i),CA,1.00\n" } }
            try csv.write(to: exports.appendingPathComponent("orders-\(String(format: "%03d", n)).csv"), atomically: true,
                          encoding: .utf8)
            orders += 150
        }
        for n in 0..<8 { try export(n) }
        let agentFile = dir.appendingPathComponent("site/agent.json")
        let agentPipeline: Value = [
            "version": 1, "name": "site-orders", "batch_size": 30,
            "source": ["connector": "csv", "config": ["path": "exports/*.csv"], "incremental": ["mode": "new_files"]],
            "steps": [["set": ["region": "$uppercase(region)"]],
                      ["name": "once", "dedupe": ["key": ["id"], "scope": "pipeline"]]],
            "destination": ["connector": "onramp_push", "config": ["server": .string("http://127.0.0.1:\(port)"),
                                                                   "push_key": "${env:ONRAMP_PUSH_KEY}"]],
        ]
        try JSONWriter.string(agentPipeline).write(to: agentFile, atomically: true, encoding: .utf8)
        let spool = dir.appendingPathComponent("site/spool").path
        // Segments over 1 KiB go in 1 KiB chunks, so kills land mid-upload too (resumed where they stood).
        let agentArgs = ["agent", agentFile.path, "--spool", spool, "--every", "0.5", "--push-chunk-kb", "1"]
        var agent = try Child(agentArgs, env: ["ONRAMP_PUSH_KEY": pushKey], log: log("agent-0.log"))
        defer { agent.stop() }

        // Chaos: the agent killed mid-work twice, the server killed (its port closed for 3 s) and started again,
        // and new exports arriving all along.
        try await Task.sleep(for: .milliseconds(700))
        agent.kill9()
        try export(8)
        agent = try Child(agentArgs, env: ["ONRAMP_PUSH_KEY": pushKey], log: log("agent-1.log"))
        try await Task.sleep(for: .milliseconds(500))
        server.kill9()
        try export(9)
        try await Task.sleep(for: .seconds(3))
        server = try Child(["serve", "--data", data, "--port", String(port), "--lease", "2", "--egress-allow", "127.0.0.1"],
                           env: env, log: log("serve-1.log"))
        _ = try await server.port()
        try export(10)
        try await Task.sleep(for: .milliseconds(300))
        agent.kill9()
        try export(11)
        agent = try Child(agentArgs, env: ["ONRAMP_PUSH_KEY": pushKey], log: log("agent-2.log"))

        // Until every order is calculated and nothing is pending or running.
        var stats: Value?
        var batches: [Value] = []
        var runs: [Value] = []
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            stats = try await ProcessTests.http("GET", "\(sandboxURL)/_sandbox/stats").1
            batches = try await ProcessTests.http("GET", "\(api)/tenants/acme/pipelines/\(pid)/batches?limit=500", key: admin).1?["batches"]?
                .arrayValue ?? []
            runs = try await ProcessTests.http("GET", "\(api)/tenants/acme/runs?pipeline_id=\(pid)&limit=500", key: admin).1?["runs"]?
                .arrayValue ?? []
            if stats?["calculations"] == .number(Double(orders)), !batches.isEmpty,
               batches.allSatisfy({ $0["state"] == "processed" }), runs.allSatisfy({ $0["state"]?.stringValue?.hasPrefix("succeeded") == true }) {
                break
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(stats?["calculations"] == .number(Double(orders)), "\(stats.map { JSONWriter.string($0) } ?? "-")")
        #expect(stats?["conflicts"] == 0)
        // What the server holds has each order exactly once: a full re-sync of every stored batch into a file (a
        // duplicate the agent pushed would be there twice, even where TAXMAN's idempotency hid it above).
        pipeline["destination"] = ["connector": "file", "config": ["path": "all.ndjson"]]
        #expect(try await ProcessTests.http("POST", "\(api)/tenants/acme/pipelines", key: admin, body: .object(pipeline)).0 == 201)
        let (queued, resync) = try await ProcessTests.http("POST", "\(api)/tenants/acme/pipelines/\(pid)/runs", key: admin,
                                                           body: ["full_resync": true])
        #expect(queued == 202)
        let resyncId = try #require(resync?["id"]?.stringValue)
        var resynced: Value?
        for _ in 0..<200 {
            resynced = try await ProcessTests.http("GET", "\(api)/tenants/acme/runs/\(resyncId)", key: admin).1
            if resynced?["state"] != "queued" && resynced?["state"] != "running" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(resynced?["state"] == "succeeded", "\(resynced.map { JSONWriter.string($0) } ?? "-")")
        let all = try String(contentsOf: URL(fileURLWithPath: data + "/tenants/acme/files/all.ndjson"), encoding: .utf8)
        let ids = all.split(separator: "\n").compactMap { (try? JSONParser.parse(String($0)))?["transactionId"]?.stringValue }
        #expect(ids.count == orders && Set(ids).count == orders, "\(ids.count) records, \(Set(ids).count) distinct, of \(orders)")
        #expect(batches.allSatisfy { $0["state"] == "processed" && $0["run_id"]?.stringValue != nil })
        let status = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: spool + "/status.json"))))
        #expect(status["spool"]?["segments"] == 0, "\(JSONWriter.string(status))")
        print("agent: \(orders) orders in \(batches.count) batches over \(runs.count) runs, the agent killed twice and "
              + "the server once; calculations \(stats?["calculations"] ?? .null)")
    }

    /// An agent enrolled with the CLI (no key in its file or environment) reports its status with heartbeats, and a
    /// run asked for on the platform happens at once instead of at its next hourly turn.
    @Test func anEnrolledAgentShowsItsStatusAndRunsWhenAsked() async throws {
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build): \(ProcessTests.binary)")
            return
        }
        let dir = try HostileServer.temporaryDirectory("agent-enrol")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data").path
        let server = try Child(["serve", "--data", data, "--port", "0"], env: ["ONRAMP_ADMIN_KEY": ProcessTests.adminKey],
                               log: dir.appendingPathComponent("serve.log"))
        defer { server.stop() }
        let base = "http://127.0.0.1:\(try await server.port())"
        let api = base + "/api/v1", admin = ProcessTests.adminKey
        #expect(try await ProcessTests.http("POST", "\(api)/tenants", key: admin, body: ["id": "acme"]).0 == 201)
        let pipeline: Value = ["version": 1, "name": "pushed", "source": ["connector": "push", "config": [:]],
                               "destination": ["connector": "file", "config": ["path": "out.ndjson"]]]
        let pid = try #require(try await ProcessTests.http("POST", "\(api)/tenants/acme/pipelines", key: admin, body: pipeline).1?["id"]?
            .stringValue)
        let made = try await ProcessTests.http("POST", "\(api)/tenants/acme/pipelines/\(pid)/agents", key: admin, body: ["name": "site"])
        let agentId = try #require(made.1?["id"]?.stringValue)
        let token = try #require(made.1?["enrolment_token"]?.stringValue)

        let site = dir.appendingPathComponent("site")
        try FileManager.default.createDirectory(at: site.appendingPathComponent("exports"), withIntermediateDirectories: true)
        try "id,amount\nA1,1.50\nA2,2.50\n".write(to: site.appendingPathComponent("exports/a.csv"), atomically: true, encoding: .utf8)
        let file = site.appendingPathComponent("agent.json")
        try JSONWriter.string(["version": 1, "name": "site", "source": ["connector": "csv", "config": ["path": "exports/*.csv"],
                                                                        "incremental": ["mode": "new_files"]],
                               "destination": ["connector": "onramp_push", "config": [:]]])
            .write(to: file, atomically: true, encoding: .utf8)
        let spool = site.appendingPathComponent("spool").path
        let enrol = try Child(["agent", "enrol", "--server", base, "--token", token, "--spool", spool],
                              log: dir.appendingPathComponent("enrol.log"))
        enrol.process.waitUntilExit()
        #expect(enrol.process.terminationStatus == 0, "\((try? String(contentsOf: enrol.log, encoding: .utf8)) ?? "")")
        let again = try Child(["agent", "enrol", "--server", base, "--token", token, "--spool", spool + "-2"],
                              log: dir.appendingPathComponent("enrol-2.log"))
        again.process.waitUntilExit()
        #expect(again.process.terminationStatus == 1)  // a token enrols once

        let agent = try Child(["agent", file.path, "--spool", spool, "--every", "3600", "--heartbeat-seconds", "0.3"],
                              log: dir.appendingPathComponent("agent.log"))
        defer { agent.stop() }
        func shown() async throws -> Value? {
            try await ProcessTests.http("GET", "\(api)/tenants/acme/pipelines/\(pid)/agents", key: admin).1?["agents"]?.arrayValue?.first
        }
        func batches() async throws -> Int {
            try await ProcessTests.http("GET", "\(api)/tenants/acme/pipelines/\(pid)/batches", key: admin).1?["batches"]?
                .arrayValue?.count ?? -1
        }
        var seen: Value?
        for _ in 0..<100 {
            seen = try await shown()
            if seen?["status"]?["last_run"]?["status"] == "succeeded", try await batches() == 1 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(seen?["enrolled"] == true && seen?["last_seen_at"]?.stringValue != nil, "\(seen.map { JSONWriter.string($0) } ?? "-")")
        #expect(seen?["status"]?["last_run"]?["spooled"] == 2 && seen?["status"]?["version"]?.stringValue != nil)
        #expect(try await batches() == 1)
        // A new export, and a run asked for: pushed within seconds, not at the next hourly run.
        try "id,amount\nB1,3.50\n".write(to: site.appendingPathComponent("exports/b.csv"), atomically: true, encoding: .utf8)
        #expect(try await ProcessTests.http("POST", "\(api)/tenants/acme/pipelines/\(pid)/agents/\(agentId)/run", key: admin).0 == 202)
        var count = 0
        for _ in 0..<100 {
            count = try await batches()
            if count == 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(count == 2, "the run asked for did not push the new export")
    }

    /// An agent run with `--remote-pipeline` runs the pipeline the platform gives it, takes a new one within a
    /// heartbeat's long poll, refuses one that names what its operator did not expose (and goes on with the last), and
    /// after a restart runs the one it had.
    @Test func anAgentRunsThePipelineThePlatformGivesIt() async throws {
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build): \(ProcessTests.binary)")
            return
        }
        let dir = try HostileServer.temporaryDirectory("agent-remote")
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try Child(["serve", "--data", dir.appendingPathComponent("data").path, "--port", "0"],
                               env: ["ONRAMP_ADMIN_KEY": ProcessTests.adminKey], log: dir.appendingPathComponent("serve.log"))
        defer { server.stop() }
        let base = "http://127.0.0.1:\(try await server.port())"
        let api = base + "/api/v1", admin = ProcessTests.adminKey
        #expect(try await ProcessTests.http("POST", "\(api)/tenants", key: admin, body: ["id": "acme"]).0 == 201)
        let pipeline: Value = ["version": 1, "name": "pushed", "source": ["connector": "push", "config": [:]],
                               "destination": ["connector": "file", "config": ["path": "out.ndjson", "format": "ndjson"]]]
        let pid = try #require(try await ProcessTests.http("POST", "\(api)/tenants/acme/pipelines", key: admin, body: pipeline).1?["id"]?
            .stringValue)
        let made = try await ProcessTests.http("POST", "\(api)/tenants/acme/pipelines/\(pid)/agents", key: admin, body: ["name": "site"])
        let agentPath = "\(api)/tenants/acme/pipelines/\(pid)/agents/\(try #require(made.1?["id"]?.stringValue))"
        let site = dir.appendingPathComponent("site")
        try FileManager.default.createDirectory(at: site.appendingPathComponent("exports"), withIntermediateDirectories: true)
        try "id,amount\nA1,1.50\nA2,2.50\n".write(to: site.appendingPathComponent("exports/a.csv"), atomically: true, encoding: .utf8)
        let spool = dir.appendingPathComponent("spool").path
        let enrol = try Child(["agent", "enrol", "--server", base, "--token", try #require(made.1?["enrolment_token"]?.stringValue),
                               "--spool", spool], log: dir.appendingPathComponent("enrol.log"))
        enrol.process.waitUntilExit()
        #expect(enrol.process.terminationStatus == 0)

        // The folder a pipeline from the platform may read is never / nor one holding the spool (its key is there).
        for files in ["/", dir.path] {
            let refused = try Child(["agent", "--remote-pipeline", "--files", files, "--spool", spool, "--once"],
                                    log: dir.appendingPathComponent("refused.log"))
            refused.process.waitUntilExit()
            #expect(refused.process.terminationStatus != 0)
        }
        let args = ["agent", "--remote-pipeline", "--files", site.path, "--expose-env", "SITE_TAG", "--spool", spool,
                    "--every", "3600", "--heartbeat-seconds", "20"]
        let env = ["SITE_TAG": "north", "SITE_PASSWORD": "hunter2"]
        var agent = try Child(args, env: env, log: dir.appendingPathComponent("agent-0.log"))
        defer { agent.stop() }
        func status(until done: (Value?) -> Bool) async throws -> Value? {
            var seen: Value?
            for _ in 0..<150 {
                seen = try await ProcessTests.http("GET", "\(api)/tenants/acme/pipelines/\(pid)/agents", key: admin).1?["agents"]?.arrayValue?.first
                if done(seen) { return seen }
                try await Task.sleep(for: .milliseconds(100))
            }
            return seen
        }
        let waiting = try await status { $0?["last_seen_at"]?.stringValue != nil }
        #expect(waiting?["status"]?["pipeline"] == .null,
                "\(waiting.map { JSONWriter.string($0) } ?? "-") \((try? String(contentsOf: agent.log, encoding: .utf8)) ?? "")")

        // The platform gives it a pipeline: taken within the long poll (not at the next 20 s heartbeat), run at once.
        let given: Value = ["every_seconds": 3600, "pipeline": [
            "version": 1, "name": "site", "source": ["connector": "csv", "config": ["path": "exports/*.csv"],
                                                     "incremental": ["mode": "new_files"]],
            "steps": [["set": ["site": "'${env:SITE_TAG}'"]]], "destination": ["connector": "onramp_push"]]]
        #expect(try await ProcessTests.http("PUT", "\(agentPath)/config", key: admin, body: given).0 == 200)
        let running = try await status { $0?["status"]?["last_run"]?["status"] == "succeeded" }
        #expect(running?["status"]?["pipeline"]?["version"] == 1 && running?["status"]?["last_run"]?["spooled"] == 2,
                "\(running.map { JSONWriter.string($0) } ?? "-")")
        var out = ""
        for _ in 0..<150 where !out.contains("A2") {
            out = try await Self.text("\(api)/tenants/acme/files/out.ndjson", key: admin)
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(out.contains("\"site\":\"north\"") && out.contains("A1") && out.contains("A2"), "\(out)")

        // A pipeline naming a variable its operator did not expose is refused on the agent; the last one goes on.
        var sneaky = given.objectValue!, sneakyPipeline = given["pipeline"]!.objectValue!
        sneakyPipeline["steps"] = [["set": ["site": "'${env:SITE_PASSWORD}'"]]]
        sneaky["pipeline"] = .object(sneakyPipeline)
        #expect(try await ProcessTests.http("PUT", "\(agentPath)/config", key: admin, body: .object(sneaky)).0 == 200)
        let refused = try await status { $0?["config_version_seen"] == 2 }
        #expect(refused?["status"]?["config_error"]?.stringValue?.contains("SITE_PASSWORD") == true
                && refused?["status"]?["pipeline"]?["version"] == 1, "\(refused.map { JSONWriter.string($0) } ?? "-")")

        // Restarted (killed), it runs the pipeline it had, and a run asked for while it was down happens when it is back.
        agent.kill9()
        #expect(try await ProcessTests.http("POST", "\(agentPath)/run", key: admin).0 == 202)
        try "id,amount\nB1,3.50\n".write(to: site.appendingPathComponent("exports/b.csv"), atomically: true, encoding: .utf8)
        agent = try Child(args, env: env, log: dir.appendingPathComponent("agent-1.log"))
        for _ in 0..<150 where !out.contains("B1") {
            out = try await Self.text("\(api)/tenants/acme/files/out.ndjson", key: admin)
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(out.contains("B1") && !out.contains("hunter2"), "\(out)")
        let back = try await status { $0?["run_requested"] == false && $0?["status"]?["run_requests_seen"] == 1 }
        #expect(back?["run_requests"] == 1 && back?["status"]?["pipeline"]?["version"] == 1)
    }

    /// A text body, as it is (the results file).
    static func text(_ url: String, key: String) async throws -> String {
        var request = URLRequest(url: URL(string: url)!)
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        let (data, _) = try await URLSession.shared.data(for: request)
        return String(decoding: data, as: UTF8.self)
    }
}
