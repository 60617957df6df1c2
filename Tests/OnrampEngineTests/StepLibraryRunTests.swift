import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampEngine
import OnrampTaxmanSandbox
import Testing

/// The steps that need the engine: a lookup table read from a file in the run's area, a route's second destination,
/// dedupe across runs, warnings in the summary and the error report, sort spilling in the run's directory.
@Suite struct StepLibraryRunTests {
    final class Bench {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-steps-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: dir) }

        func write(_ name: String, _ text: String) throws {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }

        func read(_ name: String) -> [Value] {
            guard let text = try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8) else { return [] }
            return text.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        }

        func run(_ steps: String, input: String = "orders.csv", batch: Int = 500, full: Bool = false, sandbox: Bool = false,
                 replay: [ReplayRecord]? = nil) async throws -> RunSummary {
            let spec = try PipelineLoader.parse("""
            version: 1
            name: steps
            batch_size: \(batch)
            source: {connector: csv, config: {path: \(input)}}
            steps:
            \(steps.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            destination: {connector: file, config: {path: out.ndjson}}
            """)
            var registry = ConnectorRegistry()
            FileConnectors.register(into: &registry)
            if sandbox { SandboxConnectors.register(into: &registry) }
            try? FileManager.default.removeItem(at: dir.appendingPathComponent("out.ndjson"))
            try? FileManager.default.removeItem(at: dir.appendingPathComponent("steps-errors.ndjson"))
            var runner = PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(files: .local(dir.path)),
                                        checkpoints: FileCheckpointStore(directory: dir.path + "/state"),
                                        outputDirectory: dir.path, fullResync: full)
            runner.replay = replay
            return await runner.run()
        }
    }

    static let orders = """
    id,country,amount,currency
    1,germany,10.00,EUR
    2,FRANCE,20.00,eur
    3,Atlantis,5.00,EUR
    4,germany,-1.00,EUR

    """

    @Test func aLookupTableFromAFileInTheAreaAndItsErrorsAtTheStep() async throws {
        let b = try Bench()
        try b.write("orders.csv", Self.orders)
        try b.write("reference/countries.csv", "name,code\nGermany,DE\nFrance,FR\n")
        let lookup = "- lookup: {table: {file: reference/countries.csv}, on: {country: name}, set: {country: code}, ignore_case: true}"
        let s = try await b.run(lookup)
        #expect(s.status == .succeededWithErrors && s.recordsWritten == 3, "\(s.failureReason ?? "")")
        #expect(b.read("out.ndjson").map { $0["country"] } == ["DE", "FR", "DE"])
        #expect(b.read("steps-errors.ndjson").first?["code"] == "lookup.missing")
        #expect(b.read("steps-errors.ndjson").first?["line"] == 4)

        let missing = try await b.run(lookup.replacingOccurrences(of: "reference/countries.csv", with: "reference/nope.csv"))
        #expect(missing.status == .failed && missing.failureReason?.hasPrefix("steps[0].lookup.table.file: ") == true,
                "\(missing.failureReason ?? "")")
        let outside = try await b.run(lookup.replacingOccurrences(of: "reference/countries.csv", with: "../../etc/passwd.csv"))
        #expect(outside.status == .failed && outside.failureReason?.contains("steps[0].lookup.table.file") == true,
                "\(outside.failureReason ?? "")")
        try b.write("reference/bad.csv", "name,code\nGermany,DE\n\"unclosed,FR\n")
        let bad = try await b.run(lookup.replacingOccurrences(of: "countries.csv", with: "bad.csv"))
        #expect(bad.status == .failed && bad.failureReason?.contains("bad row at") == true, "\(bad.failureReason ?? "")")
        let format = try await b.run(lookup.replacingOccurrences(of: "countries.csv", with: "countries.txt"))
        #expect(format.failureReason?.contains("extension names no file format") == true, "\(format.failureReason ?? "")")
    }

    @Test func routedRecordsGoToTheSecondDestinationAndWarningsAreCountedApart() async throws {
        let b = try Bench()
        try b.write("orders.csv", Self.orders)
        let s = try await b.run("""
        - validate: {rules: [{name: currency_upper, field: currency, pattern: "[A-Z]{3}", level: warning}]}
        - route: {when: "$number(amount) < 0", destination: {connector: file, config: {path: refunds.ndjson}}}
        """)
        #expect(s.status == .succeeded && s.recordsWritten == 3 && s.warnings == 1 && s.recordsFailed == 0,
                "\(s.failureReason ?? "")")
        #expect(b.read("refunds.ndjson").map { $0["id"] } == ["4"])
        let report = b.read("steps-errors.ndjson")
        #expect(report.count == 1 && report[0]["severity"] == "warning" && report[0]["field"] == "currency")
        let bad = try await b.run("- route: {when: 'true', destination: {connector: nowhere}}")
        #expect(bad.status == .failed && bad.failureReason?.contains("steps[0].route.destination.connector") == true,
                "\(bad.failureReason ?? "")")
    }

    @Test func dedupeAcrossRunsSendsEachKeyOnceUntilAFullResync() async throws {
        let b = try Bench()
        try b.write("orders.csv", Self.orders)
        let dedupe = "- dedupe: {key: [id], scope: pipeline}\n  name: once"
        let first = try await b.run(dedupe, batch: 2)
        #expect(first.recordsWritten == 4)
        try b.write("orders.csv", Self.orders + "5,france,1.00,EUR\n2,FRANCE,20.00,eur\n")
        let second = try await b.run(dedupe, batch: 2)
        #expect(second.status == .succeeded && second.recordsWritten == 1 && b.read("out.ndjson").map { $0["id"] } == ["5"])
        let third = try await b.run(dedupe)
        #expect(third.recordsWritten == 0)
        let full = try await b.run(dedupe, full: true)
        #expect(full.recordsWritten == 5, "a full resync forgets the keys")
        let files = try FileManager.default.contentsOfDirectory(atPath: b.dir.path + "/state").filter { !$0.contains("@schema") }
        #expect(files == ["steps#once.checkpoint.json"], "\(files)")
    }

    /// A cross-run dedupe remembers only the keys of records that got through: one a later step refused is let
    /// through once it is fixed.
    @Test func dedupeForgetsTheKeyOfARecordThatFailedLater() async throws {
        let b = try Bench()
        try b.write("orders.csv", Self.orders)
        let steps = """
        - dedupe: {key: [id], scope: pipeline}
          name: once
        - route: {when: "$number(amount) < 0", code: refund.not_supported}
        """
        let first = try await b.run(steps, batch: 2)
        #expect(first.recordsWritten == 3 && first.recordsFailed == 1, "\(first.failureReason ?? "")")
        try b.write("orders.csv", Self.orders.replacingOccurrences(of: "-1.00", with: "1.00"))
        let second = try await b.run(steps, batch: 2)
        #expect(second.recordsWritten == 1 && b.read("out.ndjson").map { $0["id"] } == ["4"], "\(second.failureReason ?? "")")
        let third = try await b.run(steps)
        #expect(third.recordsWritten == 0, "once through, the key is remembered")
    }

    /// With an incremental source (every batch commits a checkpoint), a record the destination refused is
    /// forgotten before the dedupe's memory is stored with that checkpoint: fixed and re-read, it gets through.
    @Test func dedupeForgetsARecordTheDestinationRefusedUnderAnIncrementalSource() async throws {
        let b = try Bench()
        func run() async throws -> RunSummary {
            let spec = try PipelineLoader.parse("""
            version: 1
            name: inc
            source: {connector: csv, config: {path: "in-*.csv"}, incremental: {mode: new_files}}
            steps:
              - dedupe: {key: [id], scope: pipeline}
              - map: |
                  {"transactionId": id, "type": "SalesInvoice", "date": "2026-11-03", "currency": "USD",
                   "shipTo": {"country": "US", "region": region}, "lines": [{"number": "1", "quantity": 1, "amount": 10}]}
            destination: {connector: taxman_sandbox}
            """)
            var registry = ConnectorRegistry()
            FileConnectors.register(into: &registry)
            SandboxConnectors.register(into: &registry)
            return await PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(files: .local(b.dir.path)),
                                        checkpoints: FileCheckpointStore(directory: b.dir.path + "/state"),
                                        outputDirectory: b.dir.path).run()
        }
        try b.write("in-1.csv", "id,region\n1,NY\n2,ZZ\n")
        let first = try await run()
        #expect(first.recordsWritten == 1 && first.recordsFailed == 1, "\(first.failureReason ?? "")")
        try b.write("in-2.csv", "id,region\n2,NY\n1,NY\n")
        let second = try await run()
        #expect(second.recordsWritten == 1 && second.recordsFailed == 0, "the fixed record 2 gets through, 1 is known")
    }

    /// A batch whose preparation fails (here a route's second destination cannot be written) still reports the
    /// errors its earlier steps found, as a run that handled one batch at a time did, and the run fails.
    @Test func errorsFoundBeforeAStepFailedAreReported() async throws {
        let b = try Bench()
        try b.write("orders.csv", Self.orders)
        try b.write("blocker", "a file where the route wants a folder")
        let s = try await b.run("""
        - validate: {rules: [{name: known, field: country, enum: [germany, FRANCE]}]}
        - route: {when: "true", destination: {connector: file, config: {path: blocker/routed.ndjson}}}
        """)
        #expect(s.status == .failed)
        #expect(b.read("steps-errors.ndjson").map { $0["code"] } == ["validate.known"], "\(s.failureReason ?? "")")
    }

    /// A step's state file is named after the step: a name longer than a file name may be is cut and hashed.
    @Test func aLongStepNameStillKeepsItsMemory() async throws {
        let b = try Bench()
        try b.write("orders.csv", Self.orders)
        let name = String(repeating: "é", count: 300)
        let dedupe = "- dedupe: {key: [id], scope: pipeline}\n  name: \(name)"
        let first = try await b.run(dedupe)
        #expect(first.status == .succeeded && first.recordsWritten == 4, "\(first.failureReason ?? "")")
        let second = try await b.run(dedupe)
        #expect(second.status == .succeeded && second.recordsWritten == 0, "\(second.failureReason ?? "")")
        let files = try FileManager.default.contentsOfDirectory(atPath: b.dir.path + "/state").filter { !$0.contains("@schema") }
        #expect(files.count == 1 && files.allSatisfy { $0.utf8.count <= 255 && $0.hasPrefix("steps#é") }, "\(files)")
        let other = try await b.run("- dedupe: {key: [id], scope: pipeline}\n  name: \(name)x")
        #expect(other.recordsWritten == 4, "another long name has a memory of its own")
    }

    @Test func aSortBiggerThanItsMemorySpillsInTheRunsDirectoryAndCleansUp() async throws {
        let b = try Bench()
        var csv = "id,k\n"
        for i in 0..<3_000 { csv += "\(i),\((i * 37) % 1000)\n" }
        try b.write("big.csv", csv)
        let s = try await b.run("- set: {k: '$number(k)'}\n- sort: {by: [-k, id], max_in_memory: 500}", input: "big.csv", batch: 250)
        #expect(s.status == .succeeded && s.recordsWritten == 3_000, "\(s.failureReason ?? "")")
        let keys = b.read("out.ndjson").compactMap { $0["k"]?.numberValue }
        #expect(keys == keys.sorted(by: >) && keys.count == 3_000)
        let left = try FileManager.default.contentsOfDirectory(atPath: b.dir.path).filter { $0.hasPrefix("onramp-sort-") }
        #expect(left.isEmpty)
    }

    /// A record a route's second destination refused is replayed through that route, never into the main destination.
    @Test func aRecordARoutesDestinationRefusedIsReplayedThroughTheRoute() async throws {
        let b = try Bench()
        try b.write("orders.csv", "id,region\n1,NY\n2,ZZ\n3,local\n")
        let steps = """
        - map: '{"transactionId": id, "type": "SalesInvoice", "date": "2026-11-03", "currency": "USD", "shipTo": {"country": "US", "region": region}, "lines": [{"number": "1", "quantity": 1, "amount": 10}]}'
        - route:
            when: "shipTo.region != 'local'"
            destination: {connector: taxman_sandbox}
        - map: '{"kept": transactionId}'
        """
        let first = try await b.run(steps, sandbox: true)
        #expect(first.recordsFailed == 1 && b.read("out.ndjson").map { $0["kept"] } == ["3"], "\(first.sampleErrors)")
        // Routed records are counted apart from the main destination's, and the route's TAXMAN money is reconciled.
        #expect(first.recordsRouted == 2 && first.routedRefused == 1 && first.recordsSent == 1 && first.recordsWritten == 1)
        #expect(first.reconciliationValue["routed"] == 2 && first.reconciliationValue["routed_refused"] == 1)
        let usd = try #require(first.reconciliation?.byCurrency["USD"])
        #expect(usd.transactions == 2 && usd.calculated == 1 && usd.refused == 1 && ExactDecimal.text(usd.amount) == "20")
        let refused = try #require(b.read("steps-errors.ndjson").first)
        #expect(refused["stage"] == "load" && refused["reentry_step"] == 1 && refused["code"] == "taxman.InvalidAddress",
                "\(refused)")
        var fixed = try #require(refused["value"]?.objectValue)
        fixed["shipTo"] = ["country": "US", "region": "CA"]
        let replayed = try await b.run(steps, sandbox: true, replay: [
            ReplayRecord(stage: .load, value: JSONWriter.string(.object(fixed)), position: SourcePosition(file: "orders.csv", line: 3),
                         step: 1)])
        #expect(replayed.recordsFailed == 0 && replayed.recordsRead == 1, "\(replayed.sampleErrors)")
        #expect(b.read("out.ndjson").isEmpty, "nothing reached the main destination")
    }
}
