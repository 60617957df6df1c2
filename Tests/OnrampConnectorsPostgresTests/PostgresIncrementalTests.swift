import Foundation
import OnrampConnectorKit
@testable import OnrampConnectorsPostgres
import OnrampCore
import PostgresNIO
import Testing

@Suite(.enabled(if: PostgresTestServer.available, "needs ONRAMP_TEST_POSTGRES (scripts/test.sh starts a server)"))
struct PostgresIncrementalTests {
    static let incremental: Value = ["cursor": ["updated_at"], "key": ["id"]]

    static func ids(_ batches: [SourceBatch]) -> [Int] {
        batches.flatMap(\.records).compactMap { $0.value["id"]?.numberValue.map { Int($0) } }
    }

    @Test func resumingFromEveryCheckpointReadsEveryRowOnceWhenAllShareOneCursorValue() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, "CREATE TABLE \(schema).orders (id int PRIMARY KEY, updated_at timestamptz NOT NULL)")
            // Inserted out of key order, all with one cursor value.
            try await PG.exec(db, """
                INSERT INTO \(schema).orders SELECT i, '2026-11-03 10:00:00.123456+00'
                FROM generate_series(1, 1000) i ORDER BY md5(i::text)
                """)
            let source = try PG.source(PG.config(["table": .string("\(schema).orders")]), incremental: Self.incremental)
            let full = try await PG.readAll(source, batchSize: 100)
            #expect(full.count == 10)
            #expect(Self.ids(full) == Array(1...1000))
            #expect(full.last?.checkpoint == ["updated_at": "2026-11-03T10:00:00.123456+00:00", "id": 1000])
            for (i, batch) in full.enumerated() {
                let checkpoint = try #require(batch.checkpoint)
                let resumed = try await PG.readAll(source, checkpoint: checkpoint, batchSize: 100)
                let before = Self.ids(Array(full[...i]))
                #expect(before + Self.ids(resumed) == Array(1...1000), "resumed after batch \(i)")
            }
        }
    }

    @Test func rowsUpdatedAfterTheyWereReadAreReadAgain() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, """
                CREATE TABLE \(schema).orders (id int, line int, updated_at timestamp NOT NULL, amount numeric,
                                                PRIMARY KEY (id, line))
                """)
            try await PG.exec(db, """
                INSERT INTO \(schema).orders SELECT i / 3, i % 3, '2026-11-01'::timestamp + (i / 10) * interval '1 hour',
                  i FROM generate_series(0, 299) i
                """)
            let incremental: Value = ["cursor": ["updated_at"], "key": ["id", "line"]]
            let source = try PG.source(PG.config(["table": .string("\(schema).orders")]), incremental: incremental)
            let first = try await PG.readAll(source, batchSize: 64)
            #expect(first.flatMap(\.records).count == 300)
            let checkpoint = try #require(first.last?.checkpoint)
            #expect(checkpoint == ["updated_at": "2026-11-02T05:00:00", "id": 99, "line": 2])
            #expect(try await PG.readAll(source, checkpoint: checkpoint, batchSize: 64).isEmpty)
            // Amend two rows read before; add a row tied with the checkpoint's cursor value.
            try await PG.exec(db, """
                UPDATE \(schema).orders SET amount = -1, updated_at = '2026-11-02 06:00' WHERE (id, line) IN ((0, 0), (50, 1))
                """)
            try await PG.exec(db, "INSERT INTO \(schema).orders VALUES (100, 0, '2026-11-02 05:00', 7)")
            let second = try await PG.readAll(source, checkpoint: checkpoint, batchSize: 64)
            let keys = second.flatMap(\.records).map { "\($0.value["id"]!.scalarText!)/\($0.value["line"]!.scalarText!)" }
            #expect(keys == ["100/0", "0/0", "50/1"])
            #expect(second.flatMap(\.records).first?.position.key == "id=100,line=0")
            #expect(second.last?.checkpoint == ["updated_at": "2026-11-02T06:00:00", "id": 50, "line": 1])
        }
    }

    @Test func aCustomQueryIsFilteredByBindParameters() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, "CREATE TABLE \(schema).o (code text PRIMARY KEY, changed date NOT NULL)")
            // A key holding SQL reaches the database only as a bound value.
            try await PG.exec(db, """
                INSERT INTO \(schema).o VALUES ('a', '2026-01-01'), ('b''); DROP TABLE \(schema).o; --', '2026-01-02'),
                  ('c', '2026-01-02')
                """)
            let source = try PG.source(
                PG.config(["query": .string("SELECT code, changed FROM \(schema).o WHERE code <> 'zzz' -- not z;")]),
                incremental: ["cursor": ["changed"], "key": ["code"]])
            let first = try await PG.readAll(source, batchSize: 2)
            let tricky = "b'); DROP TABLE \(schema).o; --"
            #expect(first.map(\.checkpoint) == [["changed": "2026-01-02", "code": .string(tricky)],
                                                ["changed": "2026-01-02", "code": "c"]])
            let resumed = try await PG.readAll(source, checkpoint: first[0].checkpoint, batchSize: 2)
            #expect(resumed.flatMap(\.records).map { $0.value["code"] } == ["c"])
            #expect(try await PG.strings(db, "SELECT count(*)::text FROM \(schema).o") == ["3"])
        }
    }

    @Test func aCheckpointForAnotherCursorIsRefused() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, "CREATE TABLE \(schema).o (id int PRIMARY KEY, updated_at timestamptz NOT NULL)")
            let source = try PG.source(PG.config(["table": .string("\(schema).o")]), incremental: Self.incremental)
            await #expect {
                _ = try await PG.readAll(source, checkpoint: ["modified": "2026-01-01", "id": 1], batchSize: 10)
            } throws: { error in
                (error as? OnrampError)?.code == "postgres.checkpoint" && "\(error)".contains("--full-resync")
            }
            let wrongColumn = try PG.source(PG.config(["table": .string("\(schema).o")]),
                                            incremental: ["cursor": ["changed_at"], "key": ["id"]])
            await #expect {
                _ = try await PG.readAll(wrongColumn, batchSize: 10)
            } throws: { error in
                "\(error)".contains("has no column changed_at")
            }
        }
    }

    @Test func aNullCursorIsAnErrorRecordNotASilentDrop() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, "CREATE TABLE \(schema).o (id int PRIMARY KEY, updated_at timestamptz)")
            try await PG.exec(db, "INSERT INTO \(schema).o VALUES (1, '2026-01-01'), (2, NULL)")
            let source = try PG.source(PG.config(["table": .string("\(schema).o")]), incremental: Self.incremental)
            let batches = try await PG.readAll(source, batchSize: 10)
            #expect(Self.ids(batches) == [1])
            #expect(batches.flatMap(\.errors).map(\.code) == ["postgres.null_cursor"])
            #expect(batches.last?.checkpoint == ["updated_at": "2026-01-01T00:00:00+00:00", "id": 1])
        }
    }
}
