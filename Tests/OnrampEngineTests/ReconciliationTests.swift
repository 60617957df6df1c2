import Foundation
import OnrampConnectorKit
import OnrampCore
@testable import OnrampEngine
import Testing

/// A run's reconciliation through the sandbox: the flow counts and, per currency, what was sent and answered,
/// summed exactly; and the error groups a customer reads instead of a thousand lines.
@Suite struct ReconciliationTests {
    @Test func sumsAreExactPerCurrencyAndRefusalsAreCountedApart() async throws {
        let dir = EndToEndTests.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var csv = "id,currency,region,amount,discount\n"
        for i in 1...30 { csv += "T\(i),\(i % 3 == 0 ? "EUR" : "USD"),\(i == 7 || i == 8 ? "ZZ" : "NY"),0.10,0.01\n" }
        csv += "bad-row\n"
        try csv.write(to: dir.appendingPathComponent("orders.csv"), atomically: true, encoding: .utf8)
        let summary = try await EndToEndTests.withSandbox(.init()) { _, url in
            let spec = try PipelineLoader.parse("""
            version: 1
            name: rec
            source: {connector: csv, config: {path: "\(dir.path)/orders.csv"}}
            steps:
              - map: |
                  {"transactionId": id, "type": "SalesInvoice", "date": "2026-11-03", "currency": currency,
                   "shipTo": {"country": "US", "region": region},
                   "lines": [{"number": "1", "quantity": 1, "amount": $number(amount), "discount": $number(discount)},
                             {"number": "2", "quantity": 1, "amount": 0.2}]}
            destination: {connector: taxman, config: {base_url: "\(url)", api_key: k, batch_size: 7}}
            """)
            return await PipelineRunner(spec: spec, registry: EndToEndTests.registry(), resources: ConnectorResources(),
                                        checkpoints: FileCheckpointStore(directory: dir.path), outputDirectory: dir.path).run()
        }
        #expect(summary.status == .succeededWithErrors, "\(summary.failureReason ?? "")")
        let r = summary.reconciliationValue
        #expect(r["rows_read"] == 31 && r["records"] == 30 && r["sent"] == 30 && r["accepted"] == 28 && r["refused"] == 2)
        let usd = try #require(summary.reconciliation?.byCurrency["USD"])
        #expect(usd.transactions == 20 && usd.calculated == 18 && usd.refused == 2)
        // 20 × (0.10 + 0.2) is exactly 6 (doubles summed in order give 5.999999999999998).
        #expect(ExactDecimal.text(usd.amount) == "6" && ExactDecimal.text(usd.discount) == "0.2")
        #expect(ExactDecimal.text(usd.answeredAmount) == "5.4" && ExactDecimal.text(usd.taxable) == "5.22")
        let eur = try #require(summary.reconciliation?.byCurrency["EUR"])
        #expect(eur.transactions == 10 && eur.calculated == 10 && ExactDecimal.text(eur.amount) == "3")
        #expect(summary.asValue["reconciliation"]?["by_currency"]?["EUR"]?["sent"]?["amount"] == "3")
        // The same as a download beside the run's other outputs: the run's counts, then a row per currency.
        #expect(summary.reconciliationPath == dir.path + "/rec-reconciliation.csv")
        let rows = try String(contentsOfFile: try #require(summary.reconciliationPath), encoding: .utf8)
            .split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 4 && rows[0] == RunSummary.reconciliationColumns, "\(rows)")
        #expect(rows[1] == ["run", "", "31", "30", "30", "28", "2", "0", "0", "", "", "", "", "", "", "", ""], "\(rows[1])")
        let e = try #require(summary.reconciliation?.byCurrency["EUR"])
        #expect(rows[2] == ["currency", "EUR", "", "", "10", "10", "0", "", "", "3", "0.1"]
                + [e.answeredAmount, e.answeredDiscount, e.taxable, e.exempt, e.tax].map(ExactDecimal.text) + ["0"], "\(rows[2])")
        #expect(rows[2][15] != "0", "TAXMAN's tax is in the download")
        #expect(rows[3].prefix(10) == ["currency", "USD", "", "", "20", "18", "2", "", "", "6"], "\(rows[3])")
        #expect(summary.reportValue["outputs"]?["reconciliation"] == .string(dir.path + "/rec-reconciliation.csv"))
        // Two refusals of one kind are one group; the bad row is another.
        let groups = summary.errorGroups.map { "\($0.count) \($0.code) \($0.stage.rawValue)" }
        #expect(groups.contains("2 taxman.InvalidAddress load") && groups.contains("1 csv.field_count extract"), "\(groups)")
    }

    /// Hostile data cannot grow the reconciliation without bound: past 1,000 currencies (or a code longer than 16
    /// bytes) transactions are summed under "(other)".
    @Test func theCurrencyListIsCapped() {
        var r = Reconciliation()
        func tx(_ currency: String) -> Value {
            ["currency": .string(currency), "lines": [["amount": 1.5]]]
        }
        for i in 0..<1_005 { r.add(sent: tx("C\(i)"), answer: nil) }
        r.add(sent: tx(String(repeating: "X", count: 100_000)), answer: nil)
        r.add(sent: tx("C0"), answer: nil)
        #expect(r.byCurrency.count == Reconciliation.maxCurrencies)
        let other = r.byCurrency[Reconciliation.overflowKey]
        #expect(other?.transactions == 7 && other.map { ExactDecimal.text($0.amount) } == "10.5", "\(String(describing: other))")
        #expect(r.byCurrency["C0"]?.transactions == 2, "a currency already listed keeps its own row")
        var merged = Reconciliation()
        merged.add(sent: tx("EUR"), answer: ["totalTax": 0.3])
        merged.merge(r)
        #expect(merged.byCurrency.count == Reconciliation.maxCurrencies && merged.byCurrency["EUR"]?.calculated == 1)
        #expect(merged.byCurrency[Reconciliation.overflowKey]?.transactions == 8)
    }

    /// A currency text a spreadsheet would run as a formula is quoted with `'`; a secret in it is hidden.
    @Test func theDownloadIsSafeToOpenInASpreadsheet() {
        var s = RunSummary(pipeline: "p")
        var r = Reconciliation()
        r.add(sent: ["currency": "=HYPERLINK(1)", "lines": [["amount": 1]]], answer: nil)
        r.add(sent: ["currency": "s3cret", "lines": [["amount": 1]]], answer: nil)
        s.reconciliation = r
        let csv = s.reconciliationCSV(redact: Redactor(secrets: ["s3cret"]))
        #expect(csv.contains("\r\ncurrency,'=HYPERLINK(1),") && csv.contains("\r\ncurrency,***,") && !csv.contains("s3cret"), "\(csv)")
    }
}
