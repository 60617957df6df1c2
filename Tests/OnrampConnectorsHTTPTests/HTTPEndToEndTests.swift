import Foundation
import Hummingbird
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
import OnrampCore
import OnrampEngine
@testable import OnrampTaxmanSandbox
import Testing

/// An ERP's REST API to TAXMAN: `http_api` (OAuth2, Link-header pages, detail lines, faults, incremental)
/// through a map step into the TAXMAN sandbox, twice, with an amendment and a new order in between.
@Suite struct HTTPEndToEndTests {
    static func registry() -> ConnectorRegistry {
        var r = ConnectorRegistry()
        FileConnectors.register(into: &r)
        HTTPConnectors.register(into: &r)
        return r
    }

    static func pipeline(erp: String, taxman: String) throws -> PipelineSpec {
        try PipelineLoader.parse("""
        version: 1
        name: erp-api
        batch_size: 10
        source:
          connector: http_api
          config:
            url: "\(erp)/api/orders/link"
            pagination: { type: link_header }
            auth:
              type: oauth2_client_credentials
              token_url: "\(erp)/oauth/token"
              client_id: onramp
              client_secret: cs
            detail: { url: "/api/orders/{id}/lines", into: lines, records_path: "lines[]" }
          incremental: { cursor_field: updated_at, param: updated_since, key: id }
        steps:
          - map: |
              (
                $amount := $number(total);
                {"transactionId": "SO-" & $string(id), "type": "SalesOrder", "date": "2026-11-03", "currency": "USD",
                 "shipTo": {"country": "US", "region": region},
                 "lines": $append([], $map(lines, function($l, $i) {
                   {"number": $string($i + 1), "quantity": $l.qty, "amount": $amount}
                 }))}
              )
        destination:
          connector: taxman
          config: { base_url: "\(taxman)", api_key: k, batch_size: 10, concurrency: 2 }
        """)
    }

    @Test func ordersFromAnAPIAreChargedOnceAcrossIncrementalRuns() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-http-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let erp = ERPServer()
        await erp.state.set(orders: ERPServer.orders(45) { $0 <= 30 ? "2026-11-01T10:00:00Z" : "2026-11-02T10:00:00Z" })
        await erp.state.set(auth: .oauth2(id: "onramp", secret: "cs", uses: 20))
        await erp.state.script("/api/orders/link", [.init(status: 503), .init(status: 429, headers: ["Retry-After": "30"])])
        await erp.state.script("/api/orders/7/lines", [.init(status: 502)])
        let sleeps = SleepLog()
        var options = TaxmanSandbox.Options()
        options.port = 0
        let sandbox = try TaxmanSandbox(options: options)
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let taxmanApp = sandbox.application { found.yield($0) }
        let (first, second, third, stats) = try await withRunningService(taxmanApp) {
            var it = ports.makeAsyncIterator()
            let taxman = "http://127.0.0.1:\(await it.next()!)"
            return try await erp.run { base in
                let spec = try Self.pipeline(erp: base, taxman: taxman)
                let checkpoints = FileCheckpointStore(directory: dir.path + "/state")
                func run() async -> RunSummary {
                    var resources = ConnectorResources()
                    resources.clock.sleep = { sleeps.add($0) }
                    return await PipelineRunner(spec: spec, registry: Self.registry(), resources: resources,
                                                checkpoints: checkpoints, outputDirectory: dir.path + "/out").run()
                }
                let first = await run()
                await erp.state.upsert(["id": 5, "number": "SO-1005", "updated_at": "2026-11-03T09:00:00Z",
                                        "region": "TX", "total": "99.00"])
                await erp.state.upsert(["id": 46, "number": "SO-1046", "updated_at": "2026-11-02T10:00:00Z",
                                        "region": "CA", "total": "4.00"])
                let second = await run()
                let third = await run()
                return (first, second, third, await sandbox.state.stats())
            }
        }
        #expect(first.status == .succeeded, "\(first.failureReason ?? "") \(first.sampleErrors.prefix(3))")
        #expect(first.recordsRead == 45 && first.recordsWritten == 45)
        // The 503 and 429 on the first page, and the 502 on one order's lines.
        #expect(sleeps.seconds.count == 3 && sleeps.seconds.contains(30))
        // Run 2: the new order sharing the last cursor value, and the amended one; nothing else again.
        #expect(second.status == .succeeded, "\(second.failureReason ?? "")")
        #expect(second.recordsRead == 2 && second.recordsWritten == 2)
        #expect(third.recordsRead == 0)
        #expect(stats["calculations"] == 47)
        #expect(stats["conflicts"] == 0)
        #expect(await erp.state.tokenFetches >= 2)
    }
}
