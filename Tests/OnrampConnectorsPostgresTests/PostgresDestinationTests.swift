import Foundation
import OnrampConnectorKit
@testable import OnrampConnectorsPostgres
import OnrampCore
import PostgresNIO
import Testing

@Suite(.enabled(if: PostgresTestServer.available, "needs ONRAMP_TEST_POSTGRES (scripts/test.sh starts a server)"))
struct PostgresDestinationTests {
    static func outcomes(_ o: [RecordOutcome]) -> [String] {
        o.map {
            switch $0 {
            case .ok: return "ok"
            case .failed(let code, let message): return "\(code): \(message)"
            }
        }
    }

    @Test func insertWritesEveryFieldToItsColumn() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, """
                CREATE TABLE \(schema).results (id text PRIMARY KEY, total numeric(10,2), at timestamptz, ok bool,
                  doc jsonb, tags text[], note text DEFAULT 'none')
                """)
            let destination = try PG.destination(PG.config(["table": .string("\(schema).results")]))
            let records: [Value] = [
                ["id": "T1", "total": 12.5, "at": "2026-11-03T10:00:00+01:00", "ok": true, "doc": ["a": [1, "x"]],
                 "tags": ["a", "b \"c\"", nil]],
                ["id": "T2", "total": "0.10", "note": nil],
            ]
            let outcomes = try await destination.write(records.map { Record($0) })
            try await destination.close()
            #expect(Self.outcomes(outcomes) == ["ok", "ok"])
            let rows = try await PG.strings(db, """
                SELECT concat_ws('|', id, total, at AT TIME ZONE 'UTC', ok, doc, tags, coalesce(note, 'NULL'))
                FROM \(schema).results ORDER BY id
                """)
            #expect(rows == ["T1|12.50|2026-11-03 09:00:00|t|{\"a\": [1, \"x\"]}|{a,\"b \\\"c\\\"\",NULL}|none",
                             "T2|0.10|NULL"])
        }
    }

    @Test func upsertUpdatesRowsWithTheSameKey() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, """
                CREATE TABLE \(schema).tax (transaction_id text PRIMARY KEY, total_tax numeric, version int)
                """)
            let destination = try PG.destination(PG.config([
                "table": .string("\(schema).tax"), "mode": "upsert", "key": ["transaction_id"],
                "columns": ["transactionId": "transaction_id", "totalTax": "total_tax", "v": "version"],
            ]))
            _ = try await destination.write([Record(["transactionId": "A", "totalTax": 1, "v": 1]),
                                             Record(["transactionId": "B", "totalTax": 2, "v": 1])])
            let second = try await destination.write([Record(["transactionId": "A", "totalTax": 1.25, "v": 2, "x": 9]),
                                                      Record(["transactionId": "C", "totalTax": 3, "v": 1])])
            try await destination.close()
            #expect(Self.outcomes(second) == ["ok", "ok"])
            #expect(try await PG.strings(db, "SELECT concat_ws('|', transaction_id, total_tax, version) FROM \(schema).tax ORDER BY 1")
                    == ["A|1.25|2", "B|2|1", "C|3|1"])
        }
    }

    @Test func aRefusedRowIsALoadErrorAndTheOthersAreWritten() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, """
                CREATE TABLE \(schema).r (id int PRIMARY KEY, amount numeric CHECK (amount >= 0), name text NOT NULL)
                """)
            let destination = try PG.destination(PG.config(["table": .string("\(schema).r")]))
            let outcomes = try await destination.write([
                Record(["id": 1, "amount": 5, "name": "a"]),
                Record(["id": 2, "amount": -1, "name": "b"]),
                Record(["id": 3, "amount": 1, "name": nil]),
                Record(["id": 4, "amount": "abc", "name": "d"]),
                Record(["id": 5, "amount": 1, "name": "e", "colour": "red"]),
                Record("not an object"),
                Record(["id": 1, "amount": 1, "name": "dup"]),
                Record(["id": 8, "amount": 0, "name": "h"]),
            ])
            try await destination.close()
            let text = Self.outcomes(outcomes)
            #expect(text[0] == "ok" && text[7] == "ok")
            #expect(text[1].hasPrefix("postgres.23514: new row for relation \"r\" violates check constraint \"r_amount_check\""))
            #expect(text[2].hasPrefix("postgres.23502: null value in column \"name\" of relation \"r\" violates not-null constraint"))
            #expect(text[3] == "postgres.22P02: invalid input syntax for type numeric: \"abc\"")
            #expect(text[4] == "postgres.42703: column \"colour\" of relation \"\(schema).r\" does not exist")
            #expect(text[5] == "postgres.not_object: the record is string, not an object with a field per column")
            #expect(text[6].hasPrefix("postgres.23505: duplicate key value violates unique constraint \"r_pkey\""))
            #expect(try await PG.strings(db, "SELECT id::text FROM \(schema).r ORDER BY id") == ["1", "8"])
        }
    }

    @Test func checkValidatesTheTableAndColumns() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, "CREATE TABLE \(schema).r (id int PRIMARY KEY)")
            let good = try await PG.destination(PG.config(["table": .string("\(schema).r")])).check()
            #expect(good.message.hasSuffix("\(schema).r has 1 columns"))
            await #expect {
                _ = try await PG.destination(PG.config(["table": "nowhere"])).check()
            } throws: { "\($0)".contains("relation \"nowhere\" does not exist") }
            await #expect {
                _ = try await PG.destination(PG.config(["table": .string("\(schema).r"), "mode": "upsert",
                                                        "key": ["code"]])).check()
            } throws: { ($0 as? OnrampError)?.message == "\(schema).r has no column code" }
            #expect { _ = try PG.destination(PG.config(["table": "r", "mode": "upsert"])) } throws: {
                ($0 as? OnrampError)?.location == "destination.config.key"
            }
        }
    }
}
