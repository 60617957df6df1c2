import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
@testable import OnrampTaxmanSandbox
import Testing

/// `preview --dry-run`: the first mapped transactions go to the in-process sandbox (or the configured TAXMAN with
/// `dryrun-` keys), and each shows its tax or the refusal with its field; nothing else is sent or stored.
@Suite struct DryRunTests {
    static func spec(_ dir: URL, url: String = "http://127.0.0.1:9") throws -> PipelineSpec {
        try """
        id,region,amount
        T1,NY,100.00
        T2,ZZ,50.00
        T3,CA,10.00
        """.write(to: dir.appendingPathComponent("orders.csv"), atomically: true, encoding: .utf8)
        return try PipelineLoader.parse("""
        version: 1
        name: dry
        source: {connector: csv, config: {path: "\(dir.path)/orders.csv"}}
        steps:
          - map: |
              {"transactionId": id, "type": "SalesInvoice", "date": "2026-11-03", "currency": "USD",
               "shipTo": {"country": "US", "region": region},
               "lines": [{"number": "1", "quantity": 1, "amount": $number(amount)}]}
        destination: {connector: taxman, config: {base_url: "\(url)", api_key: k}}
        """)
    }

    static func registry() -> ConnectorRegistry {
        var r = EndToEndTests.registry()
        SandboxConnectors.register(into: &r)
        return r
    }

    @Test func theSandboxAnswersEachMappedTransactionWithItsTaxOrItsRefusal() async throws {
        let dir = EndToEndTests.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try await PipelinePreview.run(try Self.spec(dir), registry: Self.registry(), resources: ConnectorResources(),
                                                limit: 2, dryRun: .sandbox)
        let answers = try #require(out["dry_run"]?["answers"]?.arrayValue)
        #expect(out["dry_run"]?["target"] == "sandbox" && answers.count == 2, "the limit holds")
        #expect(answers[0]["result"]?["totalTax"] == 8.5 && answers[0]["at"]?.stringValue?.hasSuffix("orders.csv:2") == true,
                "\(answers[0])")
        #expect(answers[1]["error"]?["code"] == "taxman.InvalidAddress")
        #expect(answers[1]["error"]?["message"]?.stringValue?.hasPrefix("shipTo.region: ") == true, "\(answers[1])")
        let plain = try await PipelinePreview.run(try Self.spec(dir), registry: Self.registry(), resources: ConnectorResources(), limit: 2)
        #expect(plain["dry_run"] == nil)
    }

    @Test func againstTheConfiguredTaxmanEveryKeyIsADryRunKey() async throws {
        let dir = EndToEndTests.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = try await EndToEndTests.withSandbox(.init()) { sandbox, url in
            let out = try await PipelinePreview.run(try Self.spec(dir, url: url), registry: Self.registry(),
                                                    resources: ConnectorResources(), limit: 5, dryRun: .configured)
            #expect(out["dry_run"]?["target"] == "taxman")
            #expect(out["dry_run"]?["answers"]?.arrayValue?.compactMap { $0["result"]?["totalTax"] }.count == 2)
            return await sandbox.state.calculations().arrayValue?.compactMap { $0["idempotency_key"]?.stringValue } ?? []
        }
        #expect(keys.count == 2 && keys.allSatisfy { $0.hasPrefix("dryrun-T") }, "\(keys)")
        var toFile = try Self.spec(dir)
        toFile.destination = PipelineSpec.ConnectorRef(connector: "file", config: ["path": .string(dir.path + "/x.ndjson")],
                                                       incremental: nil)
        await #expect(throws: OnrampError.self) {
            _ = try await PipelinePreview.run(toFile, registry: Self.registry(), resources: ConnectorResources(), limit: 5,
                                              dryRun: .configured)
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/x.ndjson"), "a file destination takes no dry run")
    }
}
