import Foundation
import OnrampConnectorKit
@testable import OnrampConnectorsPostgres
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
import OnrampCore
import OnrampEngine
import PostgresNIO
import Testing

/// The reader's connection is released on every path: finished, failed, abandoned, and when the engine's run fails.
@Suite(.enabled(if: PostgresTestServer.available, "needs ONRAMP_TEST_POSTGRES (scripts/test.sh starts a server)"))
struct PostgresCloseTests {
    /// Runs `body` with a login role of its own, so its sessions can be counted.
    static func withRole(_ body: (String, String, PostgresConnection) async throws -> Void) async throws {
        try await PG.withSchema { schema, db in
            let role = "r_\(schema)"
            try await PG.exec(db, "CREATE ROLE \(role) LOGIN")
            try await PG.exec(db, "GRANT USAGE ON SCHEMA \(schema) TO \(role)")
            try await PG.exec(db, "CREATE TABLE \(schema).t (id int PRIMARY KEY)")
            try await PG.exec(db, "INSERT INTO \(schema).t SELECT generate_series(1, 1000)")
            try await PG.exec(db, "GRANT SELECT ON \(schema).t TO \(role)")
            do {
                try await body(role, "\(schema).t", db)
            } catch {
                try? await PG.exec(db, "DROP OWNED BY \(role)")
                try? await PG.exec(db, "DROP ROLE \(role)")
                throw error
            }
            try await PG.exec(db, "DROP OWNED BY \(role)")
            try await PG.exec(db, "DROP ROLE \(role)")
        }
    }

    /// The role's sessions, once they settle (a closed session takes a moment to leave pg_stat_activity).
    static func sessions(_ role: String, _ db: PostgresConnection, expecting: Int) async throws -> Int {
        var n = -1
        for _ in 0..<100 {
            n = Int(try await PG.strings(db, "SELECT count(*)::text FROM pg_stat_activity WHERE usename = '\(role)'")[0])!
            if n == expecting { return n }
            try await Task.sleep(for: .milliseconds(20))
        }
        return n
    }

    @Test func aFailedReadReleasesItsConnection() async throws {
        try await Self.withRole { role, table, db in
            let source = try PG.source(PG.config([
                "user": .string(role), "query": .string("SELECT id, 1 / (id - 500) AS x FROM \(table) ORDER BY id"),
            ]))
            var reader = try await source.open(checkpoint: nil, batchSize: 100)
            #expect(try await Self.sessions(role, db, expecting: 1) == 1)
            await #expect {
                while try await reader.next() != nil {}
            } throws: { "\($0)".contains("division by zero") }
            await reader.close()
            #expect(try await Self.sessions(role, db, expecting: 0) == 0)
        }
    }

    @Test func anAbandonedReadReleasesItsConnection() async throws {
        try await Self.withRole { role, table, db in
            let source = try PG.source(PG.config(["user": .string(role), "table": .string(table)]))
            var reader = try await source.open(checkpoint: nil, batchSize: 10)
            #expect(try await reader.next()?.records.count == 10)
            await reader.close()
            await reader.close()
            #expect(try await Self.sessions(role, db, expecting: 0) == 0)
        }
    }

    @Test func aRunWhoseDestinationFailsReleasesTheSourceConnection() async throws {
        try await Self.withRole { role, table, db in
            let port = try PostgresCheckTests.closedPort()
            let spec = try PipelineLoader.parse("""
                version: 1
                name: pg-close
                batch_size: 100
                source:
                  connector: postgres
                  config: { host: "\(PG.host)", port: \(PG.port), database: \(PG.database), user: \(role),
                            table: "\(table)" }
                steps:
                  - map: '{"transactionId": $string(id)}'
                destination:
                  connector: taxman
                  config: { base_url: "http://127.0.0.1:\(port)", api_key: k, max_attempts: 1 }
                """)
            var registry = PG.registry()
            HTTPConnectors.register(into: &registry)
            FileConnectors.register(into: &registry)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pg-close-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let summary = await PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                                               checkpoints: FileCheckpointStore(directory: dir + "/state"),
                                               outputDirectory: dir).run()
            #expect(summary.status == .failed)
            #expect(try await Self.sessions(role, db, expecting: 0) == 0)
        }
    }
}
