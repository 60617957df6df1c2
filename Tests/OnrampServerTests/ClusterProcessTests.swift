import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OnrampCore
import Testing

/// A cluster on one machine: two `serve` (API only) and three `worker` processes on one PostgreSQL (over TLS,
/// verify-full) and one data directory, the TAXMAN sandbox failing some requests. Workers and a server are killed
/// with SIGKILL and restarted while runs go; every run ends once, nothing is charged twice or missing, downloads work
/// from both servers, and when the scheduler's leader is killed the standby takes over.
@Suite(.serialized) struct ClusterProcessTests {
    typealias Child = ProcessTests.Child
    static let key = ProcessTests.adminKey

    static var postgres: String? { ProcessInfo.processInfo.environment["ONRAMP_TEST_POSTGRES"] }
    static var ca: String? { ProcessInfo.processInfo.environment["ONRAMP_TEST_POSTGRES_CA"] }

    /// Tenants and runs per tenant (ONRAMP_CLUSTER_TENANTS, ONRAMP_CLUSTER_RUNS: 20 x 10 for the issue's figure).
    static func size(_ name: String, _ fallback: Int) -> Int {
        ProcessInfo.processInfo.environment[name].flatMap(Int.init) ?? fallback
    }

    static func http(_ method: String, _ url: String, body: Value? = nil) async throws -> (Int, Value?) {
        try await ProcessTests.http(method, url, key: key, body: body)
    }

    static func bytes(_ url: String) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, data)
    }

    static func leaderLine(_ log: URL) -> Bool {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("became the scheduler leader")
    }

    @Test func runsEndOnceAcrossKilledWorkersAndServers() async throws {
        guard let postgres = Self.postgres, let ca = Self.ca else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("the cluster test needs ONRAMP_TEST_POSTGRES (source scripts/postgres-test.sh)")
            }
            return
        }
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build): \(ProcessTests.binary)")
            return
        }
        let tenants = Self.size("ONRAMP_CLUSTER_TENANTS", 8), perTenant = Self.size("ONRAMP_CLUSTER_RUNS", 5)
        let orders = 5
        let dir = try HostileServer.temporaryDirectory("cluster")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        let schema = "c_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let store = "\(postgres)?sslmode=verify-full&sslrootcert=\(ca)&schema=\(schema)"
        let env = ["ONRAMP_ADMIN_KEY": Self.key, "ONRAMP_STORE": store]
        func log(_ name: String) -> URL { dir.appendingPathComponent(name) }

        let sandbox = try Child(["taxman-sandbox", "--port", "0", "--latency-ms", "20", "--fail-rate", "0.05",
                                 "--api-key", "tk"], log: log("sandbox.log"))
        defer { sandbox.stop() }
        let sandboxURL = "http://127.0.0.1:\(try await sandbox.port())"
        let serveArgs = ["serve", "--data", data.path, "--port", "0", "--workers", "0", "--lease", "3",
                         "--egress-allow", "127.0.0.1"]
        // The first server creates the keys and the schema; the others start once it listens.
        var servers = [try Child(serveArgs, env: env, log: log("serve-a.log"))]
        defer { for s in servers { s.stop() } }
        var bases = ["http://127.0.0.1:\(try await servers[0].port())/api/v1"]
        servers.append(try Child(serveArgs, env: env, log: log("serve-b.log")))
        bases.append("http://127.0.0.1:\(try await servers[1].port())/api/v1")
        let workerArgs = ["worker", "--data", data.path, "--workers", "2", "--lease", "3", "--max-attempts", "10",
                          "--shutdown-grace", "1", "--egress-allow", "127.0.0.1"]
        var workers: [Child] = []
        for i in 0..<3 { workers.append(try Child(workerArgs, env: env, log: log("worker-\(i)-0.log"))) }
        defer { for w in workers { w.stop() } }

        // Tenants, each with its own pipelines (a file each, so every order is a distinct transaction).
        var pipelines: [(tenant: String, id: String)] = []
        for t in 0..<tenants {
            let tenant = "t\(t)"
            let base = bases[t % 2]
            #expect(try await Self.http("POST", "\(base)/tenants", body: ["id": .string(tenant)]).0 == 201)
            #expect(try await Self.http("PUT", "\(base)/tenants/\(tenant)/secrets/TAXMAN_KEY",
                                        body: ["value": "tk", "origins": [.string(sandboxURL)]]).0 == 200)
            let files = data.appendingPathComponent("tenants/\(tenant)/files")
            try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
            for r in 0..<perTenant {
                var csv = "id,region,amount\n"
                for i in 0..<orders { csv += "\(tenant)-\(r)-\(i),CA,\(10 + i).25\n" }
                try csv.write(to: files.appendingPathComponent("r\(r).csv"), atomically: true, encoding: .utf8)
                let document = ProcessTests.ordersToTaxman("p\(r)", path: "r\(r).csv", batch: 5, sandboxURL: sandboxURL)
                let (status, created) = try await Self.http("POST", "\(base)/tenants/\(tenant)/pipelines", body: document)
                #expect(status == 201)
                pipelines.append((tenant, try #require(created?["id"]?.stringValue)))
            }
        }
        // A schedule every minute: the standby must fire its next slot once the leader is gone.
        let scheduled = pipelines[0]
        let scheduleCreated = Date()
        let (made, schedule) = try await Self.http("POST", "\(bases[0])/tenants/\(scheduled.tenant)/pipelines/\(scheduled.id)/schedules",
                                                   body: ["cron": "* * * * *"])
        #expect(made == 201)
        let scheduleId = try #require(schedule?["id"]?.stringValue)

        var runs: [(tenant: String, id: String)] = []
        for (n, p) in pipelines.enumerated() {
            let (accepted, run) = try await Self.http("POST", "\(bases[n % 2])/tenants/\(p.tenant)/pipelines/\(p.id)/runs")
            #expect(accepted == 202)
            runs.append((p.tenant, try #require(run?["id"]?.stringValue)))
        }

        // Chaos while the runs go: a worker killed and restarted every 1.5 s, and the scheduler's leader killed once.
        var leaderKilledAt: Date?
        var takeover: TimeInterval?
        var live = 0
        var generation = 1
        var restarts = 0
        let deadline = Date().addingTimeInterval(240)
        var finished = 0
        var tick = 0
        var leaving: Task<(status: Int32, seconds: Double), Never>?
        while Date() < deadline {
            try await Task.sleep(for: .milliseconds(1500))
            tick += 1
            // Scale out by one worker while runs are queued, then in by one (SIGTERM: it hands its runs back).
            if tick == 1 { workers.append(try Child(workerArgs, env: env, log: log("worker-added.log"))) }
            if tick == 2 {
                let worker = workers.removeFirst()
                leaving = Task.detached {
                    let started = Date()
                    worker.process.terminate()
                    worker.process.waitUntilExit()
                    return (worker.process.terminationStatus, Date().timeIntervalSince(started))
                }
            }
            if restarts < 8 {
                let i = restarts % workers.count
                workers[i].kill9()
                workers[i] = try Child(workerArgs, env: env, log: log("worker-\(i)-\(generation).log"))
                restarts += 1
                generation += 1
            }
            if leaderKilledAt == nil, let leader = (0..<2).first(where: { Self.leaderLine(servers[$0].log) }) {
                // The standby (not a restarted leader) must take over: the killed one comes back only after.
                servers[leader].kill9()
                let killed = Date()
                leaderKilledAt = killed
                live = 1 - leader
                while Date().timeIntervalSince(killed) < 20, !Self.leaderLine(servers[live].log) {
                    try await Task.sleep(for: .milliseconds(100))
                }
                if Self.leaderLine(servers[live].log) { takeover = Date().timeIntervalSince(killed) }
                servers[leader] = try Child(serveArgs, env: env, log: log("serve-\(leader)-restarted.log"))
                bases[leader] = "http://127.0.0.1:\(try await servers[leader].port())/api/v1"
            }
            finished = 0
            for r in runs {
                let state = try await Self.http("GET", "\(bases[live])/tenants/\(r.tenant)/runs/\(r.id)").1?["state"]?.stringValue
                if ["succeeded", "succeeded_with_errors", "failed", "cancelled"].contains(state ?? "") { finished += 1 }
            }
            if finished == runs.count, restarts >= 8, leaderKilledAt != nil { break }
        }
        #expect(finished == runs.count, "\(finished) of \(runs.count) runs ended")
        let left = try #require(await leaving?.value, "no worker was scaled in")
        #expect(left.status == 0 && left.seconds < 15, "the worker scaled in exited \(left.status) after \(left.seconds) s")
        let seconds = try #require(takeover, "no standby became the scheduler leader")
        #expect(seconds < 15, "takeover took \(seconds) s")
        print("cluster: \(runs.count) runs, \(restarts) workers killed, one added, one stopped (SIGTERM, exited in "
              + "\(String(format: "%.1f", left.seconds)) s), leader takeover \(String(format: "%.1f", seconds)) s")

        // Every run succeeded exactly once: one end, its records all delivered, nothing charged twice.
        for r in runs {
            let detail = try await Self.http("GET", "\(bases[1])/tenants/\(r.tenant)/runs/\(r.id)").1
            #expect(detail?["state"] == "succeeded", "\(r.id): \(detail.map { JSONWriter.string($0) } ?? "-")")
        }
        let (_, stats) = try await Self.http("GET", "\(sandboxURL)/_sandbox/stats")
        #expect(stats?["calculations"] == .number(Double(runs.count * orders)), "\(stats.map { JSONWriter.string($0) } ?? "-")")
        #expect(stats?["conflicts"] == .number(0))
        // Any node serves any download.
        for r in runs.prefix(6) {
            let a = try await Self.bytes("\(bases[0])/tenants/\(r.tenant)/runs/\(r.id)/results")
            let b = try await Self.bytes("\(bases[1])/tenants/\(r.tenant)/runs/\(r.id)/results")
            #expect(a.0 == 200 && b.0 == 200 && a.1 == b.1 && !a.1.isEmpty)
        }
        // The standby fires the first slot after the leader died (waiting for the next minute if none came yet).
        let killedAt = try #require(leaderKilledAt)
        let slot = (Int(killedAt.timeIntervalSince1970 + seconds) / 60 + 1) * 60
        let slotRun = "\(scheduleId)-\(slot)"
        var fired: Value?
        while Date().timeIntervalSince1970 < Double(slot) + 30 {
            fired = try await Self.http("GET", "\(bases[0])/tenants/\(scheduled.tenant)/runs/\(slotRun)").1
            if fired?["state"] == "succeeded" { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(fired?["state"] == "succeeded" && fired?["trigger"] == "schedule", "slot \(slot) after the takeover")
        // The schedule's slots: each fired once (one run per slot id), and none was missed while the leader changed.
        let listed = try await Self.http("GET", "\(bases[0])/tenants/\(scheduled.tenant)/runs?pipeline_id=\(scheduled.id)&limit=500")
        let slotRuns = (listed.1?["runs"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            .filter { $0.hasPrefix(scheduleId) }
        #expect(Set(slotRuns).count == slotRuns.count)
        let boundaries = Int(Date().timeIntervalSince1970 / 60) - Int(scheduleCreated.timeIntervalSince1970 / 60)
        #expect(slotRuns.count >= boundaries - 1 && slotRuns.count <= boundaries, "\(slotRuns.count) slot runs, \(boundaries) minutes")
    }
}
