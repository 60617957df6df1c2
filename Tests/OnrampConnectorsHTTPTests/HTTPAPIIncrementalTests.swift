import Foundation
import OnrampConnectorKit
@testable import OnrampConnectorsHTTP
import OnrampCore
import Testing

/// Incremental reads by an inclusive `updated_since` parameter: many records sharing the last cursor value
/// are neither skipped nor repeated across runs, amendments are read again, a record without a cursor is
/// an error record.
@Suite struct HTTPAPIIncrementalTests {
    static let t0 = "2026-10-31T09:00:00Z", t1 = "2026-11-01T10:00:00Z", t2 = "2026-11-02T08:30:00Z"
    static let incremental: Value = ["cursor_field": "updated_at", "param": "updated_since", "key": "id"]

    static func config(_ base: String) -> Value {
        ["url": .string(base + "/api/orders/page"), "records_path": "orders",
         "pagination": ["type": "page", "page_size_param": "per_page", "page_size": 10]]
    }

    @Test func tiesAcrossRunsAndAmendments() async throws {
        let server = ERPServer()
        // 25 orders share t1; 5 older ones come first.
        await server.state.set(orders: ERPServer.orders(30) { $0 > 25 ? Self.t0 : Self.t1 })
        let (runs, requests) = try await server.run { base in
            let source = try Harness.source(Self.config(base), incremental: Self.incremental)
            // Run 1 stops after two batches (as a killed run would): its checkpoint is inside the ties.
            let first = try await Harness.read(source, batchSize: 10, limit: 2)
            let second = try await Harness.read(source, checkpoint: first.checkpoint, batchSize: 10)
            let secondRequests = await server.state.requests
            // Three orders created in the same second as the ties, and two amendments.
            for id in 31...33 {
                await server.state.upsert(["id": .number(Double(id)), "number": "SO-new", "updated_at": .string(Self.t1)])
            }
            for id in [5, 27] {
                await server.state.upsert(["id": .number(Double(id)), "number": "SO-amended", "updated_at": .string(Self.t2)])
            }
            let third = try await Harness.read(source, checkpoint: second.checkpoint, batchSize: 10)
            let fourth = try await Harness.read(source, checkpoint: third.checkpoint, batchSize: 10)
            return ([first, second, third, fourth], secondRequests)
        }
        #expect(runs[0].ids == Array(26...30) + Array(1...15))
        #expect(runs[0].checkpoint?["cursor"] == .string(Self.t1))
        #expect(runs[0].checkpoint?["keys"]?.arrayValue?.count == 15)
        #expect(runs[1].ids == Array(16...25))
        #expect((runs[0].ids + runs[1].ids).sorted() == Array(1...30))
        #expect(runs[1].checkpoint?["keys"]?.arrayValue?.count == 25)
        #expect(runs[2].ids == [31, 32, 33, 5, 27])
        #expect(runs[2].records.filter { $0["number"] == "SO-amended" }.count == 2)
        #expect(runs[2].checkpoint == ["cursor": .string(Self.t2), "keys": ["27", "5"]])
        #expect(runs[3].ids.isEmpty)
        // Every page of run 2 sends the cursor the run started from.
        let run2 = requests.filter { $0.contains("updated_since") }
        #expect(run2.count == 4)
        #expect(run2.allSatisfy { $0.contains("updated_since=2026-11-01T10%3A00%3A00Z") })
    }

    @Test func checkpointsGoWithThePagesLastBatch() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(12) { _ in Self.t1 })
        let checkpoints = try await server.run { base in
            var reader = try await Harness.source(Self.config(base), incremental: Self.incremental)
                .open(checkpoint: nil, batchSize: 4)
            var out: [Int?] = []
            while let b = try await reader.next() { out.append(b.checkpoint?["keys"]?.arrayValue?.count) }
            await reader.close()
            return out
        }
        // Page 1 (10 records) in batches of 4, 4, 2: only the last carries the checkpoint; then page 2 (2 records).
        // The empty page that ends the read commits the final state once more.
        #expect(checkpoints == [nil, nil, 10, 12, 12])
    }

    @Test func aRecordWithoutItsCursorIsAnErrorRecordNotADrop() async throws {
        let server = ERPServer()
        var orders = ERPServer.orders(4) { _ in Self.t1 }
        orders[1] = ["id": 2, "number": "SO-2"]
        await server.state.set(orders: orders)
        let read = try await server.run { base in
            try await Harness.read(try Harness.source(Self.config(base), incremental: Self.incremental))
        }
        #expect(read.ids == [1, 3, 4])
        #expect(read.errors.count == 1)
        #expect(read.errors.first?.code == "http_api.cursor_missing")
        #expect(read.errors.first?.value?["id"] == 2)
        #expect(read.errors.first?.position.key == "2")
    }

    @Test func theFirstRunStartsAtStart() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(10) { $0 <= 6 ? Self.t0 : Self.t2 })
        let read = try await server.run { base in
            var inc = Self.incremental.objectValue!
            inc["start"] = .string(Self.t1)
            return try await Harness.read(try Harness.source(Self.config(base), incremental: .object(inc)))
        }
        #expect(read.ids == [7, 8, 9, 10])
    }

    @Test func aDescendingAPIFailsOnceARecordIsBelowACheckpointHandedOut() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(25) { String(format: "2026-11-01T10:00:%02dZ", $0) })
        await server.state.set(descending: true)
        let (checkpoints, error) = try await server.run { base in
            var reader = try await Harness.source(Self.config(base), incremental: Self.incremental)
                .open(checkpoint: nil, batchSize: 10)
            var checkpoints: [Value?] = []
            let error = await Harness.error { while let b = try await reader.next() { checkpoints.append(b.checkpoint) } }
            await reader.close()
            return (checkpoints, error)
        }
        // Page 1 (orders 25…16) is read whole and checkpointed at 25's cursor; page 2 starts below it.
        #expect(checkpoints.count == 1)
        #expect(checkpoints.first??["cursor"] == "2026-11-01T10:00:25Z")
        #expect(error?.code == "http_api.order")
        #expect(error?.message.contains("/api/orders/page?page=2&per_page=10 returned a record with updated_at "
                                        + "2026-11-01T10:00:15Z after this run checkpointed 2026-11-01T10:00:25Z") == true)
        #expect(error?.message.contains("sort the API ascending by updated_at") == true)
        #expect(error?.location == "source.incremental.cursor_field")
    }

    @Test func recordsOutOfOrderWithinOnePageAreRead() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(8) { String(format: "2026-11-01T10:00:%02dZ", $0) })
        await server.state.set(descending: true)
        let read = try await server.run { base in
            try await Harness.read(try Harness.source(Self.config(base), incremental: Self.incremental))
        }
        #expect(read.ids == Array((1...8).reversed()))
        #expect(read.checkpoint == ["cursor": "2026-11-01T10:00:08Z", "keys": ["8"]])
    }

    @Test func theKeysKeptAtOneCursorValueAreCapped() throws {
        var cursor = IncrementalCursor(cursorField: "updated_at", keyField: "id", checkpoint: nil, start: nil)
        for id in 1...IncrementalCursor.maxKeys {
            #expect(try cursor.admit(["id": .number(Double(id)), "updated_at": .string(Self.t1)], from: "u").get() == .keep)
        }
        // A key already kept is still skipped; a new one would grow the checkpoint past the cap.
        #expect(try cursor.admit(["id": 7, "updated_at": .string(Self.t1)], from: "u").get() == .skip)
        do {
            _ = try cursor.admit(["id": 10_001, "updated_at": .string(Self.t1)], from: "https://erp.example/o?page=9")
            Issue.record("the 10,001st key at one cursor value was kept")
        } catch let e as OnrampError {
            #expect(e.code == "http_api.cursor_ties")
            #expect(e.message.contains("more than 10000 records from https://erp.example/o?page=9"))
            #expect(e.message.contains("share updated_at \(Self.t1)"))
            #expect(e.message.contains("use a finer cursor field"))
            #expect(e.location == "source.incremental.cursor_field")
        }
        // A newer cursor value starts a new set of keys.
        #expect(try cursor.admit(["id": 10_002, "updated_at": .string(Self.t2)], from: "u").get() == .keep)
        #expect(cursor.checkpoint == ["cursor": .string(Self.t2), "keys": ["10002"]])
    }

    @Test func aReadWithMoreTiesThanTheCapFailsTheRun() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(IncrementalCursor.maxKeys + 1) { _ in Self.t1 })
        let error = try await server.run { base in
            await Harness.error {
                _ = try await Harness.read(try Harness.source(
                    ["url": .string(base + "/api/orders/page"), "records_path": "orders",
                     "pagination": ["type": "page", "page_size_param": "per_page", "page_size": 4000]],
                    incremental: Self.incremental))
            }
        }
        #expect(error?.code == "http_api.cursor_ties")
        #expect(error?.message.contains("page=3&per_page=4000") == true)
    }
}
