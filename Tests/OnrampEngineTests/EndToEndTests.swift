import Foundation
import Hummingbird
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
import OnrampCore
import OnrampEngine
@testable import OnrampTaxmanSandbox
import Testing

/// Runs pipelines against a real TAXMAN sandbox on loopback.
@Suite(.serialized) struct EndToEndTests {
    static func registry() -> ConnectorRegistry {
        var r = ConnectorRegistry()
        FileConnectors.register(into: &r)
        HTTPConnectors.register(into: &r)
        return r
    }

    /// Starts a sandbox, runs `body` with its base URL, stops it.
    static func withSandbox<T: Sendable>(_ options: TaxmanSandbox.Options, _ body: @Sendable (TaxmanSandbox, String) async throws -> T) async throws -> T {
        var o = options
        o.port = 0
        let sandbox = try TaxmanSandbox(options: o)
        let (ports, cont) = AsyncStream.makeStream(of: Int.self)
        let app = sandbox.application { cont.yield($0) }
        return try await withRunningService(app) {
            var it = ports.makeAsyncIterator()
            let port = await it.next()!
            return try await body(sandbox, "http://127.0.0.1:\(port)")
        }
    }

    static func writeOrders(_ dir: URL, files: Int, perFile: Int) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var n = 0
        for f in 0..<files {
            var text = "id,region,amount\n"
            for _ in 0..<perFile {
                n += 1
                text += "T\(n),\(["CA", "NY", "TX"][n % 3]),\(n % 50).\(n % 100 < 10 ? "0" : "")\(n % 100)\n"
            }
            try text.write(to: dir.appendingPathComponent("orders-\(f).csv"), atomically: true, encoding: .utf8)
        }
    }

    static func pipeline(_ dir: URL, url: String, batch: Int, attempts: Int = 20, incremental: Bool = false) throws -> PipelineSpec {
        try PipelineLoader.parse("""
        version: 1
        name: e2e
        batch_size: \(batch)
        source:
          connector: csv
          config: { path: "\(dir.path)/orders-*.csv" }
          \(incremental ? "incremental: { mode: new_files }" : "")
        steps:
          - map: |
              {"transactionId": id, "type": "SalesOrder", "date": "2026-11-03", "currency": "USD",
               "shipTo": {"country": "US", "region": region},
               "lines": [{"number": "1", "quantity": 1, "amount": $number(amount)}]}
        destination:
          connector: taxman
          config: { base_url: "\(url)", api_key: k, batch_size: 10, concurrency: 4, max_attempts: \(attempts) }
        """)
    }

    static func tempDir() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("onramp-e2e-\(UUID().uuidString)")
    }

    /// The sandbox calculates outside its store, in parallel: the same transactions sent by many requests at once
    /// are calculated once each (the rest replays), a changed one under a known key is a conflict, and calculation
    /// ids stay unique.
    @Test func concurrentRequestsCalculateEachKeyOnce() async throws {
        try await Self.withSandbox(TaxmanSandbox.Options()) { sandbox, _ in
            func tx(_ i: Int, amount: Double = 10) -> Value {
                ["transactionId": .string("T\(i)"), "type": "SalesInvoice", "date": "2026-11-03", "currency": "USD",
                 "idempotencyKey": .string("k\(i)"), "shipTo": ["country": "US", "region": "NY"],
                 "lines": [["number": "1", "quantity": 1, "amount": .number(amount)]]]
            }
            let batch = (0..<50).map { (key: "k\($0)", tx: tx($0)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let answers = await sandbox.state.answers(batch, calculate: sandbox.calculate)
                        #expect(answers.allSatisfy { if case .calculated = $0 { true } else { false } })
                    }
                }
                try await group.waitForAll()
            }
            let stats = await sandbox.state.stats()
            #expect(stats["calculations"] == 50 && stats["replays"] == 350 && stats["conflicts"] == 0)
            let ids = Set((await sandbox.state.calculations()).arrayValue?.compactMap { $0["calculation"]?["calculationId"] } ?? [])
            #expect(ids.count == 50)
            let changed = await sandbox.state.answers([("k1", tx(1, amount: 11))], calculate: sandbox.calculate)
            guard case .conflict = changed[0] else { Issue.record("no conflict: \(changed[0])"); return }
        }
    }

    @Test func faultsAndRateLimitsChargeEveryTransactionExactlyOnce() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeOrders(dir, files: 2, perFile: 100)
        var options = TaxmanSandbox.Options()
        options.failRate = 0.3
        options.rateLimit = 40
        let (summary, stats, calcs) = try await Self.withSandbox(options) { sandbox, url in
            let spec = try Self.pipeline(dir, url: url, batch: 50)
            let s = await PipelineRunner(spec: spec, registry: Self.registry(), resources: ConnectorResources(),
                                         checkpoints: FileCheckpointStore(directory: dir.path + "/state"), outputDirectory: dir.path + "/out").run()
            return (s, await sandbox.state.stats(), await sandbox.state.calculations())
        }
        #expect(summary.status == .succeeded, "\(summary.failureReason ?? "")")
        #expect(summary.recordsWritten == 200)
        #expect(stats["calculations"] == .number(200))
        #expect(stats["conflicts"] == .number(0))
        #expect((stats["faults"]?.numberValue ?? 0) > 0)
        #expect(Set(calcs.arrayValue!.compactMap { $0["transaction_id"]?.stringValue }).count == 200)
        let lines = try String(contentsOfFile: summary.resultsPath!, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 200)
    }

    @Test func killedThenRerunIncrementalNeitherSkipsNorDoubleCharges() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeOrders(dir, files: 3, perFile: 60)
        let checkpoints = FileCheckpointStore(directory: dir.path + "/state")
        var slow = TaxmanSandbox.Options()
        slow.latencyMilliseconds = 40
        let stats = try await Self.withSandbox(slow) { sandbox, url in
            let spec = try Self.pipeline(dir, url: url, batch: 20, incremental: true)
            let runner = PipelineRunner(spec: spec, registry: Self.registry(), resources: ConnectorResources(),
                                        checkpoints: checkpoints, outputDirectory: dir.path + "/out")
            let first = Task { await runner.run() }
            // Kill the run once the first file is committed.
            while try await checkpoints.load(pipeline: "e2e") == nil { try await Task.sleep(for: .milliseconds(10)) }
            first.cancel()
            let killed = await first.value
            #expect(killed.status == .failed)
            let committed = try await checkpoints.load(pipeline: "e2e")?["files"]?.objectValue?.count ?? 0
            #expect(committed >= 1 && committed < 3)
            let second = await runner.run()
            #expect(second.status == .succeeded, "\(second.failureReason ?? "")")
            let third = await runner.run()
            #expect(third.recordsRead == 0)
            return await sandbox.state.stats()
        }
        #expect(stats["calculations"] == .number(180))
        #expect(stats["conflicts"] == .number(0))
        // Only the batches in flight when the run was killed may be sent again (and are replayed, not charged).
        #expect((stats["replays"]?.numberValue ?? 0) <= 60)
    }

    @Test func badRowsBecomeErrorRecordsAndTheBudgetFailsTheRun() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "id,region,amount\nT1,CA,10\nT2,CA,abc\nT3,CA\nT4,ZZ,5\nT5,NY,1.5\n".write(to: dir.appendingPathComponent("orders-0.csv"), atomically: true, encoding: .utf8)
        let summary = try await Self.withSandbox(TaxmanSandbox.Options()) { _, url in
            var spec = try Self.pipeline(dir, url: url, batch: 10)
            spec.errors.maxFailedRatio = 0.5
            return await PipelineRunner(spec: spec, registry: Self.registry(), resources: ConnectorResources(),
                                        checkpoints: FileCheckpointStore(directory: dir.path + "/state"), outputDirectory: dir.path + "/out").run()
        }
        #expect(summary.recordsWritten == 2)
        #expect(summary.failedByStage[.extract] == 1)
        #expect(summary.failedByStage[.transform] == 1)
        #expect(summary.failedByStage[.load] == 1)
        // 3 of 5 rows failed: over the 0.5 budget.
        #expect(summary.status == .failed && summary.failureReason?.contains("error budget") == true)
        let report = try String(contentsOfFile: summary.errorsCSVPath!, encoding: .utf8)
        #expect(report.contains("orders-0.csv") && report.contains("csv.field_count") && report.contains("taxman.InvalidAddress"))
    }
}
