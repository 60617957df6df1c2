import Foundation
import OnrampCore
import Testing

/// The `onramp` command line as a new user meets it, as real processes.
@Suite struct CLITests {
    static var available: Bool {
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build): \(ProcessTests.binary)")
            return false
        }
        return true
    }

    static func temporaryDirectory(_ label: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("in"), withIntermediateDirectories: true)
        return dir
    }

    @Test func aReRunWithNothingNewLeavesTheEarlierRunsOutputsAlone() async throws {
        guard Self.available else { return }
        let dir = try Self.temporaryDirectory("rerun")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "id,amount\n1,2.5\n2,x\n3,4\n".write(to: dir.appendingPathComponent("in/a.csv"), atomically: true, encoding: .utf8)
        try """
            version: 1
            name: copy
            source: {connector: csv, config: {path: in/*.csv}, incremental: {mode: new_files}}
            steps:
              - set: {amount: '$number(amount)'}
            destination: {connector: file, config: {path: out/copy.ndjson}}
            errors: {path: reports/errors}
            """.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        func run() async throws -> Value {
            let r = try await CommandRunner.run(ProcessTests.binary, ["run", "p.yaml", "--output", "runs", "--json"], directory: dir)
            #expect(r.status == 0, "\(r.stderr)")
            return try JSONParser.parse(r.stdout)
        }
        let first = try await run()
        #expect(first["state"] == "succeeded_with_errors" && first["records_read"] == .number(3))
        let outputs = try #require(first["outputs"]?.objectValue)
        // Paths in the summary are as the pipeline names them: relative to the directory it ran in.
        func file(_ path: String) -> URL { path.hasPrefix("/") ? URL(fileURLWithPath: path) : dir.appendingPathComponent(path) }
        // The summary names what was written: the destination's file and the error reports, not an empty results file.
        #expect(outputs["destination"]?.stringValue?.hasSuffix("out/copy.ndjson") == true, "\(outputs)")
        #expect(outputs["results"] == nil, "\(outputs)")
        // The reconciliation is written into the run's folder: rows read → records → sent → accepted / refused.
        let reconciliation = try #require(outputs["reconciliation"]?.stringValue)
        #expect(reconciliation.contains("runs/") && reconciliation.hasSuffix("/copy-reconciliation.csv"), "\(reconciliation)")
        let recRows = try String(contentsOf: file(reconciliation), encoding: .utf8).split(separator: "\r\n")
        #expect(recRows.count == 2 && recRows[1].hasPrefix("run,,3,3,2,2,0,"), "\(recRows)")
        let errorsCSV = try #require(outputs["errors_csv"]?.stringValue)
        let errorsNDJSON = try #require(outputs["errors_ndjson"]?.stringValue)
        #expect(errorsCSV.contains("/reports/errors-") && errorsCSV.hasSuffix(".csv"), "\(errorsCSV)")
        let reportBefore = try Data(contentsOf: file(errorsCSV))
        let ndjsonBefore = try Data(contentsOf: file(errorsNDJSON))
        #expect(String(decoding: reportBefore, as: UTF8.self).contains("expr.D3030"))

        let second = try await run()
        #expect(second["state"] == "succeeded" && second["records_read"] == .number(0))
        #expect(second["outputs"] == .object([:]), "\(second)")
        #expect(try Data(contentsOf: file(errorsCSV)) == reportBefore)
        #expect(try Data(contentsOf: file(errorsNDJSON)) == ndjsonBefore)
        let folders = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("runs").path).filter { $0 != "state" }
        #expect(folders.count == 2, "\(folders)")
    }

    /// `onramp templates` lists every starter by its whole name; one makes a pipeline file that validates, its
    /// number parameters given as text.
    @Test func theStarterTemplatesAreListedAndMakePipelineFiles() async throws {
        guard Self.available else { return }
        let dir = try Self.temporaryDirectory("templates")
        defer { try? FileManager.default.removeItem(at: dir) }
        let list = try await CommandRunner.run(ProcessTests.binary, ["templates"], directory: dir)
        #expect(list.status == 0)
        let names = list.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(names == ["erp-header-lines-csv", "erp-flat-lines-csv", "erp-xlsx-order-list", "odoo-postgres-sale-orders",
                          "rest-api-paged-orders"], "\(list.stdout)")
        let odoo = try await CommandRunner.run(ProcessTests.binary, [
            "templates", "odoo-postgres-sale-orders", "--output", "odoo.json", "--set", "host=db.example", "--set", "port=6432",
            "--set", "database=odoo", "--set", "user=reader", "--set", "sslmode=verify-full", "--set", "schema=public",
            "--set", "id_prefix=O-", "--set", "taxman_url=https://api.taxman.example"], directory: dir)
        #expect(odoo.status == 0, "\(odoo.stderr)")
        #expect(odoo.stdout.contains("ERP_DB_PASSWORD") && odoo.stdout.contains("TAXMAN_API_KEY"), "\(odoo.stdout)")
        let valid = try await CommandRunner.run(ProcessTests.binary, ["validate", "odoo.json"], directory: dir,
                                                env: ["ERP_DB_PASSWORD": "p", "TAXMAN_API_KEY": "k"])
        #expect(valid.status == 0 && valid.stdout.contains("postgres -> 2 steps -> taxman"), "\(valid.stdout) \(valid.stderr)")
    }

    @Test func anUnknownConnectorIsNamedAndTheKnownOnesListed() async throws {
        guard Self.available else { return }
        let dir = try Self.temporaryDirectory("connectors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let unknown = try await CommandRunner.run(ProcessTests.binary, ["connectors", "nope"], directory: dir)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown connector 'nope'") && unknown.stderr.contains("csv") && unknown.stderr.contains("taxman"),
                "\(unknown.stderr)")
        let csv = try await CommandRunner.run(ProcessTests.binary, ["connectors", "csv"], directory: dir)
        #expect(csv.status == 0)
        let entry = try JSONParser.parse(csv.stdout)
        #expect(entry["config_schema"]?["properties"]?["path"] != nil && entry["config"] == nil, "\(csv.stdout)")
    }

    @Test func checkSaysWhatIsReachedAndDiscoverListsTheFields() async throws {
        guard Self.available else { return }
        let dir = try Self.temporaryDirectory("check")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "id,total\n1,2.50\n".write(to: dir.appendingPathComponent("orders-1.csv"), atomically: true, encoding: .utf8)
        let port = try CommandRunner.freePort()
        try """
        version: 1
        name: check
        source: {connector: csv, config: {path: "orders-*.csv"}}
        destination: {connector: taxman, config: {base_url: "http://127.0.0.1:\(port)", api_key: k}}
        """.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let check = try await CommandRunner.run(ProcessTests.binary, ["check", "p.yaml"], directory: dir)
        #expect(check.status == 1)
        #expect(check.stdout.contains("source csv: ok: 1 file match 'orders-*.csv'"), "\(check.stdout)")
        #expect(check.stdout.contains("destination taxman: failed: destination.config.base_url: cannot reach http://127.0.0.1:\(port): "
                                      + "connection refused [check.unreachable]"), "\(check.stdout)")
        let discover = try await CommandRunner.run(ProcessTests.binary, ["discover", "p.yaml"], directory: dir)
        #expect(discover.status == 0)
        let fields = try JSONParser.parse(discover.stdout)["streams"]?.arrayValue?.first?["fields"]?.arrayValue
        #expect(fields?.compactMap { $0["name"]?.stringValue } == ["id", "total"], "\(discover.stdout)")
    }

    @Test func theDemoEndsWithoutErrorLogsAndSaysWhatARerunDoes() async throws {
        guard Self.available else { return }
        let dir = try Self.temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let pipeline = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/acme-orders.yaml").path
        let r = try await CommandRunner.run(ProcessTests.binary, ["demo", "--orders", "40", "--directory", "demo", "--pipeline", pipeline],
                                            directory: dir)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let output = r.stdout + r.stderr
        #expect(!output.contains("Waiting on child channel"), "\(output)")
        #expect(output.range(of: #"(?m)^\S+ (error|critical) "#, options: .regularExpression) == nil, "\(output)")
        #expect(output.contains("every order\n   is sent again") && !output.contains("nothing new is sent"), "\(output)")
    }
}
