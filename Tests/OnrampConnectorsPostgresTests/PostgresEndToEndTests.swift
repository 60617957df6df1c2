import Foundation
import Hummingbird
import Logging
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
import OnrampConnectorsPostgres
import OnrampCore
import OnrampEngine
@testable import OnrampTaxmanSandbox
import PostgresNIO
import ServiceLifecycle
import Testing

/// postgres -> steps -> TAXMAN sandbox, incremental, with amendments and cursor ties between runs.
@Suite(.enabled(if: PostgresTestServer.available, "needs ONRAMP_TEST_POSTGRES (scripts/test.sh starts a server)"))
struct PostgresEndToEndTests {
    static func withSandbox<T: Sendable>(_ body: @Sendable (TaxmanSandbox, String) async throws -> T) async throws -> T {
        var options = TaxmanSandbox.Options()
        options.port = 0
        let sandbox = try TaxmanSandbox(options: options)
        let (ports, cont) = AsyncStream.makeStream(of: Int.self)
        let app = sandbox.application { cont.yield($0) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                var it = ports.makeAsyncIterator()
                let port = await it.next()!
                let result = try await body(sandbox, "http://127.0.0.1:\(port)")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }

    @Test func twoIncrementalRunsWithAmendmentsAndTiesChargeEachVersionOnce() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, """
                CREATE TABLE \(schema).orders (id int PRIMARY KEY, region text NOT NULL, updated_at timestamptz NOT NULL)
                """)
            try await PG.exec(db, """
                CREATE TABLE \(schema).lines (order_id int REFERENCES \(schema).orders, line int, amount numeric(10,2),
                  PRIMARY KEY (order_id, line))
                """)
            // 250 orders, the last 100 sharing one cursor value; two lines each.
            try await PG.exec(db, """
                INSERT INTO \(schema).orders SELECT i, (ARRAY['CA','NY','TX'])[i % 3 + 1],
                  CASE WHEN i > 150 THEN '2026-11-03 12:00:00+00' ELSE '2026-11-03 08:00:00+00'::timestamptz + i * interval '1 minute' END
                FROM generate_series(1, 250) i
                """)
            try await PG.exec(db, """
                INSERT INTO \(schema).lines SELECT o, l, o + l * 0.25 FROM generate_series(1, 250) o, generate_series(1, 2) l
                """)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pg-e2e-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let query = """
                SELECT o.id, o.region, o.updated_at,
                  (SELECT json_agg(json_build_object('line', l.line, 'amount', l.amount) ORDER BY l.line)
                   FROM \(schema).lines l WHERE l.order_id = o.id) AS lines
                FROM \(schema).orders o
                """
            let indented = query.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")
            let result = try await Self.withSandbox { sandbox, url in
                let spec = try PipelineLoader.parse("""
                    version: 1
                    name: pg-e2e
                    batch_size: 40
                    source:
                      connector: postgres
                      config:
                        host: "\(PG.host)"
                        port: \(PG.port)
                        database: \(PG.database)
                        user: \(PG.user)
                        query: |
                    \(indented)
                      incremental: { cursor: [updated_at], key: [id] }
                    steps:
                      - map: |
                          {"transactionId": "PG-" & $string(id), "type": "SalesOrder", "date": $substring(updated_at, 0, 10),
                           "currency": "USD", "shipTo": {"country": "US", "region": region},
                           "lines": [lines.{"number": $string(line), "quantity": 1, "amount": $number(amount)}]}
                    destination:
                      connector: taxman
                      config: { base_url: "\(url)", api_key: k, batch_size: 25 }
                    """)
                var registry = PG.registry()
                HTTPConnectors.register(into: &registry)
                FileConnectors.register(into: &registry)
                let runner = PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                                            checkpoints: FileCheckpointStore(directory: dir + "/state"), outputDirectory: dir)
                let first = await runner.run()
                // Between runs: 10 orders amended (one of them tied at the last cursor value), 5 new orders tied
                // with the last cursor value and higher ids, 5 newer ones.
                try await PG.exec(db, """
                    UPDATE \(schema).lines SET amount = amount + 100 WHERE order_id IN (1, 2, 3, 50, 100, 149, 150, 151, 200, 250)
                    """)
                try await PG.exec(db, """
                    UPDATE \(schema).orders SET updated_at = '2026-11-03 13:00:00+00'
                    WHERE id IN (1, 2, 3, 50, 100, 149, 150, 151, 200, 250)
                    """)
                try await PG.exec(db, """
                    INSERT INTO \(schema).orders SELECT i, 'CA', CASE WHEN i <= 255 THEN '2026-11-03 12:00:00+00'::timestamptz
                      ELSE '2026-11-03 14:00:00+00' END FROM generate_series(251, 260) i
                    """)
                try await PG.exec(db, "INSERT INTO \(schema).lines SELECT o, 1, 10 FROM generate_series(251, 260) o")
                let second = await runner.run()
                let third = await runner.run()
                return (first, second, third, await sandbox.state.stats(), await sandbox.state.calculations())
            }
            let (first, second, third, stats, calculations) = result
            #expect(first.status == .succeeded, "\(first.failureReason ?? "")")
            #expect(first.recordsRead == 250 && first.recordsWritten == 250)
            #expect(second.status == .succeeded, "\(second.failureReason ?? "")")
            #expect(second.recordsRead == 20 && second.recordsWritten == 20)
            #expect(third.recordsRead == 0)
            #expect(stats["calculations"] == .number(270))
            #expect(stats["conflicts"] == .number(0) && stats["replays"] == .number(0))
            let charged = calculations.arrayValue!.compactMap { $0["transaction_id"]?.stringValue }
            #expect(Set(charged).count == 260)
            let amended = calculations.arrayValue!.filter { $0["transaction_id"] == "PG-151" }
            #expect(amended.count == 2)
        }
    }
}
