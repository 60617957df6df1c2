import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
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
        // Two refusals of one kind are one group; the bad row is another.
        let groups = summary.errorGroups.map { "\($0.count) \($0.code) \($0.stage.rawValue)" }
        #expect(groups.contains("2 taxman.InvalidAddress load") && groups.contains("1 csv.field_count extract"), "\(groups)")
    }
}
