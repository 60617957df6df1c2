import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OnrampCore
import Testing

/// `onramp serve` and `onramp taxman-sandbox` as real processes, driven over HTTP: a customer's
/// run end to end, and a server killed with SIGKILL mid-run whose run another start completes.
@Suite(.serialized) struct ProcessTests {
    /// Long enough for `serve` (it refuses admin keys under 32 characters).
    static let adminKey = "process-test-admin-key-0123456789abcdef"
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("onramp").path

    final class Child: @unchecked Sendable {
        let process = Process()
        let log: URL
        /// `direct`: `args` are onramp's; otherwise `args[0]` is the program to run (a wrapper such as setpriv).
        init(_ args: [String], env: [String: String] = [:], log: URL, direct: Bool = true) throws {
            self.log = log
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: direct ? ProcessTests.binary : args[0])
            process.arguments = direct ? args : Array(args.dropFirst())
            process.environment = ProcessInfo.processInfo.environment.merging(env) { _, b in b }
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        /// The port from the first "listening on …:PORT" line.
        func port() async throws -> Int {
            for _ in 0..<300 {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let r = text.range(of: #"listening on [^ \n]*:([0-9]+)"#, options: .regularExpression) {
                    return Int(text[r].split(separator: ":").last!)!
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw OnrampError("test.start", "no listening line in \(log.path)")
        }

        func kill9() { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        func stop() { if process.isRunning { process.terminate(); process.waitUntilExit() } }
    }

    static func http(_ method: String, _ url: String, key: String? = nil, body: Value? = nil) async throws -> (Int, Value?) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let body { request.httpBody = Data(JSONWriter.string(body).utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, try? JSONParser.parse([UInt8](data)))
    }

    @Test func serveRefusesAShortAdminKey() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            Issue.record("build the onramp executable first (swift build): \(Self.binary)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try Child(["serve", "--data", dir.appendingPathComponent("data").path, "--port", "0"],
                               env: ["ONRAMP_ADMIN_KEY": "schemathesis-admin"], log: dir.appendingPathComponent("serve.log"))
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus != 0)
        let log = try String(contentsOf: server.log, encoding: .utf8)
        #expect(log.contains("ONRAMP_ADMIN_KEY has 18 characters; it needs at least 32"), "\(log)")
        #expect(!log.contains("listening on"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("data").path))
    }

    /// The binary carries what the demo needs: a copy of it, run in an empty directory elsewhere, runs the demo.
    @Test func theDemoRunsFromACopyOfTheBinaryInAnyDirectory() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            Issue.record("build the onramp executable first (swift build): \(Self.binary)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-anywhere-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("onramp-copy")
        try FileManager.default.copyItem(atPath: Self.binary, toPath: copy.path)
        let process = Process()
        process.executableURL = copy
        process.arguments = ["demo", "--orders", "60"]
        process.currentDirectoryURL = dir
        let log = dir.appendingPathComponent("demo.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("run succeeded_with_errors: acme-orders") && text.contains("reconciliation ("), "\(text)")
        #expect(FileManager.default.fileExists(atPath: dir.path + "/demo-output/acme-orders-results.ndjson"))
    }

    /// Orders (id, region, amount) from a tenant file to the sandbox, one request of 10 at a time.
    static func ordersToTaxman(_ name: String, path: String, batch: Int, sandboxURL: String) -> Value {
        ["version": 1, "name": .string(name), "batch_size": .number(Double(batch)),
         "source": ["connector": "csv", "config": ["path": .string(path)]],
         "steps": [["map": """
             {"transactionId": id, "type": "SalesOrder", "date": "2026-11-03", "currency": "USD",
              "shipTo": {"country": "US", "region": region}, "lines": [{"number": "1", "quantity": 1, "amount": $number(amount)}]}
             """]],
         "destination": ["connector": "taxman", "config": ["base_url": .string(sandboxURL), "api_key": "${secret:TAXMAN_KEY}",
                                                           "batch_size": 10, "concurrency": 1]]]
    }

    @Test func killedServerRunIsCompletedByTheNextStartWithNothingChargedTwice() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            Issue.record("build the onramp executable first (swift build): \(Self.binary)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("in"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var csv = "id,region,amount\n"
        for i in 1...400 { csv += "T\(i),\(["CA", "NY", "TX"][i % 3]),\(i % 90).\(i % 10)0\n" }
        let files = dir.appendingPathComponent("data/tenants/acme/files/in")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        try csv.write(to: files.appendingPathComponent("orders.csv"), atomically: true, encoding: .utf8)

        let sandbox = try Child(["taxman-sandbox", "--port", "0", "--latency-ms", "250", "--api-key", "tk"], log: dir.appendingPathComponent("sandbox.log"))
        defer { sandbox.stop() }
        let sandboxURL = "http://127.0.0.1:\(try await sandbox.port())"
        let env = ["ONRAMP_ADMIN_KEY": ProcessTests.adminKey]
        let serveArgs = ["serve", "--data", dir.appendingPathComponent("data").path, "--port", "0", "--lease", "2",
                         "--egress-allow", "127.0.0.1"]
        var server = try Child(serveArgs, env: env, log: dir.appendingPathComponent("serve1.log"))
        defer { server.stop() }
        var api = "http://127.0.0.1:\(try await server.port())/api/v1"

        #expect(try await Self.http("POST", "\(api)/tenants", key: ProcessTests.adminKey, body: ["id": "acme"]).0 == 201)
        #expect(try await Self.http("PUT", "\(api)/tenants/acme/secrets/TAXMAN_KEY", key: ProcessTests.adminKey,
                                     body: ["value": "tk", "origins": [.string(sandboxURL)]]).0 == 200)
        let document = Self.ordersToTaxman("orders", path: "in/*.csv", batch: 10, sandboxURL: sandboxURL)
        let (created, pipeline) = try await Self.http("POST", "\(api)/tenants/acme/pipelines", key: ProcessTests.adminKey, body: document)
        #expect(created == 201)
        let pid = try #require(pipeline?["id"]?.stringValue)
        let (accepted, run) = try await Self.http("POST", "\(api)/tenants/acme/pipelines/\(pid)/runs", key: ProcessTests.adminKey)
        #expect(accepted == 202)
        let runId = try #require(run?["id"]?.stringValue)

        // Let it get going, then kill the server hard mid-run.
        for _ in 0..<200 {
            let (_, stats) = try await Self.http("GET", "\(sandboxURL)/_sandbox/stats")
            if (stats?["calculations"]?.numberValue ?? 0) >= 40 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        server.kill9()
        let (_, before) = try await Self.http("GET", "\(sandboxURL)/_sandbox/stats")
        #expect((before?["calculations"]?.numberValue ?? 0) < 400)

        // Start again: after the lease expires the run is taken over and completed.
        server = try Child(serveArgs, env: env, log: dir.appendingPathComponent("serve2.log"))
        api = "http://127.0.0.1:\(try await server.port())/api/v1"
        var detail: Value?
        for _ in 0..<600 {
            detail = try await Self.http("GET", "\(api)/tenants/acme/runs/\(runId)", key: ProcessTests.adminKey).1
            if detail?["state"] == "succeeded" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(detail?["state"] == "succeeded")
        #expect((detail?["attempts"]?.numberValue ?? 0) >= 2)
        let (_, stats) = try await Self.http("GET", "\(sandboxURL)/_sandbox/stats")
        #expect(stats?["calculations"] == .number(400))
        #expect(stats?["conflicts"] == .number(0))
        // The results hold what both attempts delivered: the first attempt's lines were kept, not replaced.
        var request = URLRequest(url: URL(string: "\(api)/tenants/acme/runs/\(runId)/results")!)
        request.setValue("Bearer \(ProcessTests.adminKey)", forHTTPHeaderField: "Authorization")
        let (body, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let lines = String(decoding: body, as: UTF8.self).split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        #expect(Set(lines.compactMap { $0["transactionId"]?.stringValue }).count == 400)
        #expect(lines.count > 400, "\(lines.count) result lines: the first attempt's were lost")
    }

    @Test func aCustomersWholeDayOverHTTP() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            Issue.record("build the onramp executable first (swift build): \(Self.binary)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-day-\(UUID().uuidString)")
        let export = dir.appendingPathComponent("data/tenants/acme/files/export")
        try FileManager.default.createDirectory(at: export, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "id;region;amount\nA1;CA;10,00\nA2;ZZ;5,00\nA3;NY;abc\nA4;TX;7,50\n".write(to: export.appendingPathComponent("day1.csv"), atomically: true, encoding: .utf8)
        let sandbox = try Child(["taxman-sandbox", "--port", "0", "--api-key", "customer-taxman-key"], log: dir.appendingPathComponent("sandbox.log"))
        defer { sandbox.stop() }
        let sandboxURL = "http://127.0.0.1:\(try await sandbox.port())"
        let server = try Child(["serve", "--data", dir.appendingPathComponent("data").path, "--port", "0", "--egress-allow", "127.0.0.1"],
                               env: ["ONRAMP_ADMIN_KEY": ProcessTests.adminKey],
                               log: dir.appendingPathComponent("serve.log"))
        defer { server.stop() }
        let api = "http://127.0.0.1:\(try await server.port())/api/v1"

        // The platform: a tenant, a template with blanks, a key for the customer's admin.
        #expect(try await Self.http("POST", "\(api)/tenants", key: ProcessTests.adminKey, body: ["id": "acme"]).0 == 201)
        let template: Value = [
            "version": 1, "name": "template",
            "source": ["connector": "csv", "config": ["path": "${param:EXPORT_GLOB}", "delimiter": ";"], "incremental": ["mode": "new_files"]],
            "steps": [["map": """
                {"transactionId": id, "type": "SalesInvoice", "date": "2026-11-03", "currency": "USD",
                 "shipTo": {"country": "US", "region": region},
                 "lines": [{"number": "1", "quantity": 1, "amount": $parseDecimal(amount, ",")}]}
                """]],
            "destination": ["connector": "taxman", "config": ["base_url": "${param:TAXMAN_URL}", "api_key": "${secret:TAXMAN_KEY}"]],
        ]
        #expect(try await Self.http("PUT", "\(api)/templates/csv-to-taxman", key: ProcessTests.adminKey, body: ["document": template]).0 == 200)
        let (_, key) = try await Self.http("POST", "\(api)/tenants/acme/api-keys", key: ProcessTests.adminKey, body: ["name": "acme ops", "role": "tenant_admin"])
        let customer = try #require(key?["key"]?.stringValue)

        // The customer's day: set the secret, onboard from the template, run now, watch, download.
        #expect(try await Self.http("PUT", "\(api)/tenants/acme/secrets/TAXMAN_KEY", key: customer,
                                     body: ["value": "customer-taxman-key", "origins": [.string(sandboxURL)]]).0 == 200)
        let (onboarded, pipeline) = try await Self.http("POST", "\(api)/tenants/acme/templates/csv-to-taxman/pipelines", key: customer,
                                                        body: ["name": "acme-orders", "parameters": ["EXPORT_GLOB": "export/*.csv", "TAXMAN_URL": .string(sandboxURL)]])
        #expect(onboarded == 201)
        let pid = try #require(pipeline?["id"]?.stringValue)
        let runId = try #require(try await Self.http("POST", "\(api)/tenants/acme/pipelines/\(pid)/runs", key: customer).1?["id"]?.stringValue)
        var detail: Value?
        for _ in 0..<300 {
            detail = try await Self.http("GET", "\(api)/tenants/acme/runs/\(runId)", key: customer).1
            if detail?["state"] != "queued" && detail?["state"] != "running" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(detail?["state"] == "succeeded_with_errors")
        #expect(detail?["summary"]?["records_written"] == .number(2))
        #expect(detail?["summary"]?["failed_by_stage"] == ["extract": 0, "transform": 1, "load": 1])
        var request = URLRequest(url: URL(string: "\(api)/tenants/acme/runs/\(runId)/errors")!)
        request.setValue("Bearer \(customer)", forHTTPHeaderField: "Authorization")
        let errorsCSV = String(decoding: try await URLSession.shared.data(for: request).0, as: UTF8.self)
        #expect(errorsCSV.contains("taxman.InvalidAddress") && errorsCSV.contains("day1.csv"))
        request.url = URL(string: "\(api)/tenants/acme/runs/\(runId)/results?format=csv")!
        let resultsCSV = String(decoding: try await URLSession.shared.data(for: request).0, as: UTF8.self)
        #expect(resultsCSV.hasPrefix("calculationId,transactionId,currency,totalAmount") && resultsCSV.contains("A4"))

        // The engineer set a daily schedule, disabled; a new file arrives; the customer changes it to
        // every minute, enables it, and sees it fire.
        let (scheduled, schedule) = try await Self.http("POST", "\(api)/tenants/acme/pipelines/\(pid)/schedules", key: ProcessTests.adminKey,
                                                        body: ["cron": "0 6 * * *", "timezone": "America/New_York", "enabled": false])
        #expect(scheduled == 201)
        let sid = try #require(schedule?["id"]?.stringValue)
        try "id;region;amount\nB1;WA;20,00\n".write(to: export.appendingPathComponent("day2.csv"), atomically: true, encoding: .utf8)
        let (changed, updated) = try await Self.http("PATCH", "\(api)/tenants/acme/schedules/\(sid)", key: customer,
                                                     body: ["cron": "* * * * *", "timezone": "Europe/Berlin", "enabled": true])
        #expect(changed == 200)
        #expect(updated?["next_fire_times"]?.arrayValue?.count == 5)
        var fired: Value?
        for _ in 0..<150 {
            let runs = try await Self.http("GET", "\(api)/tenants/acme/runs?pipeline_id=\(pid)", key: customer).1?["runs"]?.arrayValue ?? []
            fired = runs.first { $0["trigger"] == "schedule" && $0["state"] == "succeeded" }
            if fired != nil { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(fired?["summary"]?["records_read"] == .number(1))
        let (_, stats) = try await Self.http("GET", "\(sandboxURL)/_sandbox/stats")
        #expect(stats?["calculations"] == .number(3))
    }

    @Test func sigtermDrainsHandsTheRunBackAndTheNextStartFinishesIt() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            Issue.record("build the onramp executable first (swift build): \(Self.binary)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-drain-\(UUID().uuidString)")
        let files = dir.appendingPathComponent("data/tenants/acme/files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var csv = "id,region,amount\n"
        for i in 1...600 { csv += "D\(i),CA,\(i % 90).50\n" }
        try csv.write(to: files.appendingPathComponent("orders.csv"), atomically: true, encoding: .utf8)
        let sandbox = try Child(["taxman-sandbox", "--port", "0", "--latency-ms", "60", "--api-key", "tk"], log: dir.appendingPathComponent("sandbox.log"))
        defer { sandbox.stop() }
        let sandboxURL = "http://127.0.0.1:\(try await sandbox.port())"
        let args = ["serve", "--data", dir.appendingPathComponent("data").path, "--port", "0", "--lease", "2", "--shutdown-grace", "1",
                    "--egress-allow", "127.0.0.1"]
        let env = ["ONRAMP_ADMIN_KEY": Self.adminKey]
        let first = try Child(args, env: env, log: dir.appendingPathComponent("serve1.log"))
        defer { first.stop() }
        let base = "http://127.0.0.1:\(try await first.port())"
        #expect(try await Self.http("POST", "\(base)/api/v1/tenants", key: Self.adminKey, body: ["id": "acme"]).0 == 201)
        #expect(try await Self.http("PUT", "\(base)/api/v1/tenants/acme/secrets/TAXMAN_KEY", key: Self.adminKey,
                                     body: ["value": "tk", "origins": [.string(sandboxURL)]]).0 == 200)
        let document = Self.ordersToTaxman("drain", path: "orders.csv", batch: 10, sandboxURL: sandboxURL)
        let pid = try #require(try await Self.http("POST", "\(base)/api/v1/tenants/acme/pipelines", key: Self.adminKey, body: document).1?["id"]?.stringValue)
        let runId = try #require(try await Self.http("POST", "\(base)/api/v1/tenants/acme/pipelines/\(pid)/runs", key: Self.adminKey).1?["id"]?.stringValue)
        for _ in 0..<200 {
            if (try await Self.http("GET", "\(sandboxURL)/_sandbox/stats").1?["calculations"]?.numberValue ?? 0) >= 20 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await Self.http("GET", "\(base)/readyz").0 == 200)
        first.process.terminate()
        // Draining: not ready at once, while the grace period lets the run go on.
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await Self.http("GET", "\(base)/readyz").0 == 503)
        first.process.waitUntilExit()
        let log = try String(contentsOf: first.log, encoding: .utf8)
        for line in ["shutting down: no new runs are claimed", "handing back running runs", "run handed back to the queue", "worker stopped"] {
            #expect(log.contains(line), "\(line)")
        }
        #expect(!log.contains("error Hummingbird"))
        let (_, afterFirst) = try await Self.http("GET", "\(sandboxURL)/_sandbox/stats")
        #expect((afterFirst?["calculations"]?.numberValue ?? 0) < 600)
        // The next start resumes it; the hand-back spent no attempt.
        let second = try Child(args, env: env, log: dir.appendingPathComponent("serve2.log"))
        defer { second.stop() }
        let again = "http://127.0.0.1:\(try await second.port())/api/v1"
        var detail: Value?
        for _ in 0..<400 {
            detail = try await Self.http("GET", "\(again)/tenants/acme/runs/\(runId)", key: Self.adminKey).1
            if detail?["state"] == "succeeded" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(detail?["state"] == "succeeded" && detail?["attempts"] == .number(1) && detail?["attempt_errors"] == [])
        #expect(try await Self.http("GET", "\(sandboxURL)/_sandbox/stats").1?["calculations"] == .number(600))
    }
}
