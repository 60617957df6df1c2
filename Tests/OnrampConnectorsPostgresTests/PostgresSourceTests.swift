import Foundation
import OnrampConnectorKit
@testable import OnrampConnectorsPostgres
import OnrampCore
import PostgresNIO
import Testing

typealias PG = PostgresTestServer

@Suite(.enabled(if: PostgresTestServer.available, "needs ONRAMP_TEST_POSTGRES (scripts/test.sh starts a server)"))
struct PostgresSourceTests {
    @Test func typesMapAsDocumented() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, """
                CREATE TYPE \(schema).mood AS ENUM ('happy', 'sad')
                """)
            try await PG.exec(db, """
                CREATE TABLE \(schema).t (
                  id int PRIMARY KEY, small int2, big int8, huge int8, ratio float4, x float8, nan float8,
                  amount numeric(12,2), exact numeric, tiny numeric, neg numeric, nannum numeric,
                  flag bool, name text, code varchar(5), pad char(4), uid uuid, doc json, docb jsonb,
                  day date, at timestamp, atz timestamptz, clock time, tags text[], grid int[], amounts numeric[],
                  span interval, ip inet, feeling \(schema).mood, nothing text)
                """)
            try await PG.exec(db, """
                INSERT INTO \(schema).t VALUES (
                  1, -32768, 9007199254740993, -9223372036854775808, 1.5, 0.1, 'NaN',
                  1234567.80, 12345678901234567890.123456789012345678, 0.00000000000000000001, -0.0001, 'NaN',
                  true, 'Grüße "quoted"', 'ab', 'x', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
                  '{"b": [1, 2.50, null], "a": "z"}', '{"b": 1, "a": {"c": true}}',
                  '2026-03-29', '2026-03-29 01:30:00.000001', '2026-03-29 00:59:59.5+00', '23:59:59',
                  ARRAY['x', NULL, 'y,z'], '{{1,2},{3,4}}', '{1.10,-2}',
                  '1 day 02:00:00', '10.1.2.3/32', 'sad', NULL)
                """)
            let source = try PG.source(PG.config(["table": .string("\(schema).t"), "time_zone": "Europe/Berlin"]))
            let batches = try await PG.readAll(source, batchSize: 10)
            let record = try #require(batches.first?.records.first)
            let expected: Value = [
                "id": 1, "small": -32768, "big": "9007199254740993", "huge": "-9223372036854775808", "ratio": 1.5,
                "x": 0.1, "nan": "NaN",
                "amount": "1234567.80", "exact": "12345678901234567890.123456789012345678",
                "tiny": "0.00000000000000000001", "neg": "-0.0001", "nannum": "NaN",
                "flag": true, "name": "Grüße \"quoted\"", "code": "ab", "pad": "x   ",
                "uid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                "doc": ["b": [1, 2.5, nil], "a": "z"], "docb": ["a": ["c": true], "b": 1],
                "day": "2026-03-29", "at": "2026-03-29T01:30:00.000001",
                // 00:59:59.5 UTC is 01:59:59.5 in Berlin (before the switch to summer time at 02:00 local).
                "atz": "2026-03-29T01:59:59.5+01:00", "clock": "23:59:59",
                "tags": ["x", nil, "y,z"], "grid": [[1, 2], [3, 4]], "amounts": ["1.10", "-2"],
                "span": "1 day 02:00:00", "ip": "10.1.2.3/32", "feeling": "sad", "nothing": nil,
            ]
            #expect(record.value == expected)
            #expect(batches.count == 1 && batches[0].checkpoint == nil)
        }
    }

    /// Binary numerics are written as PostgreSQL writes them as text, digit for digit (scales, weights, signs,
    /// zeros and the special values).
    @Test func numericsReadAsPostgresWritesThem() async throws {
        let source = try PG.source(PG.config(["query": """
            SELECT v, v::text AS t FROM (
              SELECT unnest(ARRAY[0, 0.00, -0.5, 1, 9999, 10000, 10000.0001, 0.1, 0.01, 0.0001, 0.00001, 100000000,
                123456789012.345, -99999999.99, 1e30, 1e-30, 15000000000.50, 'NaN', 'Infinity', '-Infinity']::numeric[])
              UNION ALL
              SELECT (CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END)
                * round((i * 7919.123457)::numeric / (10 ^ (i % 13))::numeric, i % 17)
              FROM generate_series(1, 500) i) AS s(v)
            """]))
        let records = try await PG.readAll(source, batchSize: 100).flatMap(\.records)
        #expect(records.count == 520)
        for r in records { #expect(r.value["v"] == r.value["t"]) }
    }

    @Test func timestamptzAfterTheSwitchCarriesTheSummerOffset() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, "CREATE TABLE \(schema).t (at timestamptz)")
            try await PG.exec(db, "INSERT INTO \(schema).t VALUES ('2026-03-29 01:00:00+00'), ('1999-12-31 23:00:00-05')")
            let berlin = try PG.source(PG.config(["query": .string("SELECT at FROM \(schema).t ORDER BY at"),
                                                  "time_zone": "Europe/Berlin"]))
            let utc = try PG.source(PG.config(["query": .string("SELECT at FROM \(schema).t ORDER BY at;")]))
            let b = try await PG.readAll(berlin, batchSize: 10).flatMap(\.records).map { $0.value["at"] }
            let u = try await PG.readAll(utc, batchSize: 10).flatMap(\.records).map { $0.value["at"] }
            #expect(b == ["2000-01-01T05:00:00+01:00", "2026-03-29T03:00:00+02:00"])
            #expect(u == ["2000-01-01T04:00:00+00:00", "2026-03-29T01:00:00+00:00"])
        }
    }

    @Test func datesBeforeYearOneAndInfinityKeepTheirMeaning() async throws {
        let source = try PG.source(PG.config(["query": """
            SELECT '0044-03-15 BC'::date AS d, '0044-03-15 12:00:01.25 BC'::timestamp AS t,
              'infinity'::date AS i, '-infinity'::timestamptz AS n, '12345-01-02'::date AS far
            """]))
        let record = try #require(try await PG.readAll(source, batchSize: 1).first?.records.first)
        #expect(record.value == ["d": "0044-03-15 BC", "t": "0044-03-15T12:00:01.25 BC", "i": "infinity",
                                 "n": "-infinity", "far": "12345-01-02"])
    }

    @Test func fullReadStreamsEveryRowInBatches() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, "CREATE TABLE \(schema).orders (id int PRIMARY KEY, amount numeric(10,2))")
            try await PG.exec(db, """
                INSERT INTO \(schema).orders SELECT i, i * 1.01 FROM generate_series(1, 2500) i
                """)
            let source = try PG.source(PG.config(["table": .string("\(schema).ORDERS")]))
            let batches = try await PG.readAll(source, batchSize: 1000)
            #expect(batches.map(\.records.count) == [1000, 1000, 500])
            // Batches of 512 rows or more are decoded in two halves at once: the rows keep their order and lines.
            let ids = batches.flatMap(\.records).compactMap { $0.value["id"]?.numberValue }
            #expect(ids == (1...2500).map(Double.init))
            #expect(batches.flatMap(\.records).map { $0.position.line ?? 0 } == Array(1...2500))
            let row7 = batches.flatMap(\.records).first { $0.value["id"] == 7 }
            #expect(row7?.value["amount"] == "7.07")
            #expect(row7?.position.file == "\(schema).orders")
        }
    }

    @Test func theReadRunsInAReadOnlyTransaction() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, "CREATE SEQUENCE \(schema).s")
            let source = try PG.source(PG.config(["query": .string("SELECT nextval('\(schema).s') AS n")]))
            await #expect {
                _ = try await PG.readAll(source, batchSize: 10)
            } throws: { error in
                "\(error)".contains("cannot execute nextval() in a read-only transaction")
            }
        }
    }
}
