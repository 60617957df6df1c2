import Foundation
import GRDB
import OnrampConnectorKit
import OnrampConnectorsSQLite
import OnrampCore
import OnrampEngine
@testable import OnrampTaxmanSandbox
import Testing

/// An ERP's SQLite database to TAXMAN: two incremental runs with amendments and many rows sharing
/// one cursor value in between; every order calculated once per content, none skipped.
@Suite struct SQLiteEndToEndTests {
    @Test func twoIncrementalRunsWithAmendmentsAndTiesChargeEachVersionOnce() async throws {
        let dir = EndToEndTests.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try DatabaseQueue(path: dir.appendingPathComponent("erp.sqlite").path)
        try await db.write { db in
            try db.execute(sql: "CREATE TABLE sale_order (id INTEGER PRIMARY KEY, region TEXT, amount_total NUMERIC, write_date TEXT)")
            for id in 1...300 {
                // 200 orders share the last write_date of the first run.
                let date = id <= 100 ? "2026-11-01 09:00:00" : "2026-11-02 17:30:00"
                try db.execute(sql: "INSERT INTO sale_order VALUES (?, ?, ?, ?)", arguments: [id, ["CA", "NY", "TX"][id % 3], "\(id).25", date])
            }
        }
        let registry = {
            var r = EndToEndTests.registry()
            SQLiteConnectors.register(into: &r)
            return r
        }()
        let checkpoints = FileCheckpointStore(directory: dir.path + "/state")
        let (first, second, stats, calculations) = try await EndToEndTests.withSandbox(TaxmanSandbox.Options()) { sandbox, url in
            let spec = try PipelineLoader.parse("""
            version: 1
            name: erp-sqlite
            batch_size: 50
            source:
              connector: sqlite
              config: {path: "\(dir.path)/erp.sqlite", table: sale_order}
              incremental: {cursor: [write_date], key: [id]}
            steps:
              - map: |
                  {"transactionId": "SO-" & $string(id), "type": "SalesOrder", "date": $substring(write_date, 0, 10),
                   "currency": "USD", "shipTo": {"country": "US", "region": region},
                   "lines": [{"number": "1", "quantity": 1, "amount": amount_total}]}
            destination:
              connector: taxman
              config: {base_url: "\(url)", api_key: k, batch_size: 20}
            """)
            let runner = PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                                        checkpoints: checkpoints, outputDirectory: dir.path + "/out")
            let first = await runner.run()
            try await db.write { db in
                try db.execute(sql: "UPDATE sale_order SET amount_total = 999.99, write_date = '2026-11-03 08:00:00' WHERE id IN (5, 150, 299)")
                for id in 301...320 {
                    try db.execute(sql: "INSERT INTO sale_order VALUES (?, 'CA', 10, '2026-11-02 17:30:00')", arguments: [id])
                }
            }
            let second = await runner.run()
            return (first, second, await sandbox.state.stats(), await sandbox.state.calculations())
        }
        try db.close()
        #expect(first.status == .succeeded && first.recordsRead == 300 && first.recordsWritten == 300, "\(first.failureReason ?? "")")
        #expect(second.status == .succeeded && second.recordsRead == 23, "20 new at the tie value + 3 amended")
        #expect(stats["calculations"] == .number(323) && stats["conflicts"] == .number(0) && stats["replays"] == .number(0))
        let ids = calculations.arrayValue?.compactMap { $0["transaction_id"]?.stringValue } ?? []
        #expect(Set(ids).count == 320, "every order reached TAXMAN")
        #expect(ids.filter { $0 == "SO-150" }.count == 2, "an amended order is calculated anew")
    }
}
