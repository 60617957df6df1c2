import Foundation
import GRDB
import OnrampConnectorKit
import OnrampCore
import Testing

/// The `sqlite` source: keyset pages, the tie rule across runs, amendments, types and errors.
@Suite struct SQLiteSourceTests {
    let dir: URL
    let path: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        path = dir.appendingPathComponent("erp.sqlite").path
    }

    func database(_ sql: String, _ arguments: [StatementArguments] = [[]]) async throws {
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in for a in arguments { try db.execute(sql: sql, arguments: a) } }
        try queue.close()
    }

    func source(_ config: Value, incremental: Value? = ["cursor": ["updated_at"], "key": ["id"]]) throws -> any Source {
        var c = config.objectValue ?? [:]
        c["path"] = .string(path)
        return try TestRegistry.all.makeSource(PipelineSpec.ConnectorRef(connector: "sqlite", config: .object(c), incremental: incremental),
                                               resources: ConnectorResources())
    }

    /// Reads to the end from `checkpoint`: records and the last checkpoint.
    func read(_ source: any Source, from checkpoint: Value?, batchSize: Int = 100) async throws -> ([Value], Value?) {
        var reader = try await source.open(checkpoint: checkpoint, batchSize: batchSize)
        var values: [Value] = []
        var last = checkpoint
        while let batch = try await reader.next() {
            values += batch.records.map(\.value)
            last = batch.checkpoint ?? last
        }
        await reader.close()
        return (values, last)
    }

    /// Each batch says how many of the rows this read pages through it has read: the whole table on a full read, the
    /// rows after the checkpoint on an incremental one.
    @Test func batchesSayHowFarTheReadIs() async throws {
        try await database("CREATE TABLE orders (id INTEGER PRIMARY KEY, total NUMERIC, updated_at TEXT)")
        try await database("INSERT INTO orders VALUES (?, ?, ?)", (1...250).map { [$0, Double($0), "2026-11-01T10:00:00Z"] })
        var reader = try await source(["table": "orders"], incremental: nil).open(checkpoint: nil, batchSize: 100)
        var seen: [ReadProgress] = []
        while let batch = try await reader.next() { seen.append(try #require(batch.progress)) }
        await reader.close()
        #expect(seen == [ReadProgress(done: 100, total: 250), ReadProgress(done: 200, total: 250),
                         ReadProgress(done: 250, total: 250)])
        let incremental = try source(["table": "orders"])
        var first = try await incremental.open(checkpoint: nil, batchSize: 200)
        let checkpoint = try await first.next()?.checkpoint
        await first.close()
        var rest = try await incremental.open(checkpoint: checkpoint, batchSize: 100)
        #expect(try await rest.next()?.progress == ReadProgress(done: 50, total: 50))
        await rest.close()
    }

    @Test func thousandRowsSharingOneCursorValueAreReadOnceAcrossRunsAndAmendmentsAreReadAgain() async throws {
        try await database("CREATE TABLE orders (id INTEGER PRIMARY KEY, total NUMERIC, updated_at TEXT)")
        try await database("INSERT INTO orders VALUES (?, ?, ?)", (1...1000).map { [$0, Double($0) / 4, "2026-11-01T10:00:00Z"] })
        let source = try source(["table": "orders"])
        // A run that stops after 3 pages: the next run goes on from the third page's checkpoint.
        var reader = try await source.open(checkpoint: nil, batchSize: 100)
        var first: [Value] = []
        var checkpoint: Value?
        for _ in 0..<3 {
            let batch = try #require(try await reader.next())
            first += batch.records.map(\.value)
            checkpoint = batch.checkpoint
        }
        await reader.close()
        let (rest, end) = try await read(source, from: checkpoint)
        #expect((first + rest).map { $0["id"]!.numberValue! } == (1...1000).map(Double.init))
        // Between runs: two rows amended, one added at the last cursor value, one later.
        try await database("UPDATE orders SET total = 99.5, updated_at = '2026-11-02T08:00:00Z' WHERE id IN (7, 500)")
        try await database("INSERT INTO orders VALUES (1001, 1, '2026-11-01T10:00:00Z')")
        try await database("INSERT INTO orders VALUES (1002, 2, '2026-11-03T00:00:00Z')")
        let (second, _) = try await read(source, from: end)
        #expect(second.map { $0["id"]!.numberValue! } == [1001, 7, 500, 1002])
        #expect(second[1]["total"] == .number(99.5))
    }

    @Test func aFullReadGoesInPrimaryKeyOrRowidOrderAndMapsStorageClasses() async throws {
        try await database("CREATE TABLE t (a TEXT, n INTEGER, r REAL, b BLOB, z)")
        try await database("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [["x", 42, 1.25, Data([1, 2, 255]), nil], ["y", -7, 0.1, nil, "free"]])
        let (values, checkpoint) = try await read(try source(["table": "t"], incremental: nil), from: nil, batchSize: 1)
        #expect(values == [["a": "x", "n": 42, "r": 1.25, "b": "AQL/", "z": .null], ["a": "y", "n": -7, "r": 0.1, "b": .null, "z": "free"]])
        #expect(checkpoint == nil, "a full read commits no position")
    }

    @Test func aQueryIsReadWithTheCursorBoundNotSpliced() async throws {
        try await database("CREATE TABLE o (id INTEGER PRIMARY KEY, c TEXT, updated_at TEXT)")
        try await database("CREATE TABLE c (id TEXT PRIMARY KEY, country TEXT)")
        try await database("INSERT INTO c VALUES ('k1', 'DE'), ('k2', 'FR')")
        try await database("INSERT INTO o VALUES (?, ?, ?)", (1...30).map { [$0, $0 % 2 == 0 ? "k1" : "k2", "2026-11-0\($0 % 3 + 1)"] })
        let source = try source(["query": "SELECT o.id, o.updated_at, c.country FROM o JOIN c ON c.id = o.c;"])
        let (values, checkpoint) = try await read(source, from: nil, batchSize: 4)
        #expect(values.count == 30)
        #expect(values.first == ["id": 3, "updated_at": "2026-11-01", "country": "FR"])
        #expect(checkpoint?["after"] == [["text": "2026-11-03"], ["integer": "29"]])
        let (again, _) = try await read(source, from: checkpoint)
        #expect(again.isEmpty)
    }

    @Test func integersBeyondTwoToThe53AreExactAndPageCorrectly() async throws {
        try await database("CREATE TABLE big (id INTEGER PRIMARY KEY, updated_at TEXT)")
        let base: Int64 = 1_500_000_000_000_000_000
        try await database("INSERT INTO big VALUES (?, 'x')", (0..<10).map { [base + Int64($0) * 37] })
        let (values, checkpoint) = try await read(try source(["table": "big"]), from: nil, batchSize: 3)
        #expect(values.map { $0["id"]?.stringValue } == (0..<10).map { String(base + Int64($0) * 37) })
        try await database("INSERT INTO big VALUES (?, 'x')", [[base + 1000]])
        let (again, _) = try await read(try source(["table": "big"]), from: checkpoint)
        #expect(again.map { $0["id"]?.stringValue } == [String(base + 1000)])
    }

    @Test func rowsWithANullCursorAreErrorRecordsAndTheOthersAreRead() async throws {
        try await database("CREATE TABLE o (id INTEGER PRIMARY KEY, updated_at TEXT)")
        try await database("INSERT INTO o VALUES (?, ?)", (1...12).map { [$0, $0 % 5 == 0 ? nil : "2026-11-0\($0 % 3 + 1)"] })
        var reader = try await source(["table": "o"]).open(checkpoint: nil, batchSize: 2)
        var ids: [Double] = []
        var errors: [OnrampCore.RecordError] = []
        while let batch = try await reader.next() {
            ids += batch.records.compactMap { $0.value["id"]?.numberValue }
            errors += batch.errors
        }
        await reader.close()
        #expect(ids.sorted() == [1, 2, 3, 4, 6, 7, 8, 9, 11, 12])
        #expect(errors.map(\.code) == ["sqlite.null_key", "sqlite.null_key"])
        #expect(errors.first?.message == "updated_at is NULL: the row cannot be read in key order")
    }

    @Test func aKeyThatIsNotUniqueAtAPageBoundaryIsAnError() async throws {
        try await database("CREATE TABLE lines (order_id INTEGER, line INTEGER)")
        try await database("INSERT INTO lines VALUES (?, ?)", (1...15).map { [($0 + 2) / 3, $0] })
        let failure: OnrampError? = await {
            do {
                _ = try await read(try source(["table": "lines", "key": ["order_id"]], incremental: nil), from: nil, batchSize: 2)
                return nil
            } catch { return error as? OnrampError }
        }()
        #expect(failure?.code == "sqlite.key_not_unique" && failure?.location == "source.config.key")
        let (all, _) = try await read(try source(["table": "lines", "key": ["order_id", "line"]], incremental: nil),
                                      from: nil, batchSize: 2)
        #expect(all.count == 15)
    }

    @Test func discoverListsTablesAndViewsWithKeysAndACursor() async throws {
        try await database("CREATE TABLE sale_order (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount_total NUMERIC, write_date DATETIME)")
        try await database("CREATE VIEW open_orders AS SELECT id, name FROM sale_order")
        let streams = try await source(["table": "sale_order"], incremental: nil).discover()
        #expect(streams.map(\.name) == ["open_orders", "sale_order"])
        let table = streams[1]
        #expect(table.kind == .table && table.primaryKey == ["id"] && table.cursorField == ["write_date"])
        #expect(table.fields.map(\.type) == ["integer", "string", "number", "string"])
        #expect(table.fields[1].nullable == false)
        #expect(streams[0].kind == .view)
    }

    @Test func errorsNameTheFieldAndWhatIsWrong() async throws {
        func failure(_ config: Value, incremental: Value? = nil, checkpoint: Value? = nil) async -> OnrampError? {
            do {
                _ = try await read(try source(config, incremental: incremental), from: checkpoint)
                return nil
            } catch { return error as? OnrampError }
        }
        let missing = await failure(["table": "orders"])
        #expect(missing?.code == "source.not_found" && missing?.location == "source.config.path")
        try await database("CREATE TABLE orders (id INTEGER PRIMARY KEY, updated_at TEXT)")
        try await database("INSERT INTO orders VALUES (1, 'x')")
        let table = await failure(["table": "order"])
        #expect(table?.location == "source.config.table" && table?.message.contains("no table or view 'order'") == true)
        let query = await failure(["query": "SELEC id FROM orders", "key": ["id"]])
        #expect(query?.code == "sql.invalid" && query?.location == "source.config.query")
        let column = await failure(["table": "orders"], incremental: ["cursor": ["modified"], "key": ["id"]])
        #expect(column?.location == "source.incremental", "\(String(describing: column))")
        let changed = await failure(["table": "orders"], incremental: ["cursor": ["updated_at"], "key": ["id"]],
                                    checkpoint: ["columns": ["id"], "after": [1]])
        #expect(changed?.code == "checkpoint.columns")
        let hostile = await failure(["table": "orders\"; DROP TABLE orders; --"])
        #expect(hostile?.code == "source.not_found")
        let (still, _) = try await read(try source(["table": "orders"], incremental: nil), from: nil)
        #expect(still.count == 1, "nothing a config says can change the database: it is opened read-only")
    }
}
