import Foundation
import OnrampStore
import Testing

extension StoreContractTests {
    func batch(_ id: String, pipeline: String = "p1", tenant: String = "acme", bytes: Int64 = 10) -> PushBatchRecord {
        PushBatchRecord(tenantId: tenant, pipelineId: pipeline, batchId: id, bytes: bytes, sha256: "sha-\(id)", gzip: false,
                        object: "push/\(tenant)/\(pipeline)/\(id).sealed", keyId: "k1", receivedAt: t0)
    }

    @Test(arguments: Backend.allCases)
    func pushKeysAreLookedUpByHashAndRevokedPerPipeline(_ backend: Backend) async throws {
        let store = try await backend.make()
        let key = PushKeyRecord(id: "k1", tenantId: "acme", pipelineId: "p1", name: "edge", secretHash: "h1", createdAt: t0)
        try await store.createPushKey(key)
        try await store.createPushKey(PushKeyRecord(id: "k2", tenantId: "acme", pipelineId: "p2", name: "other", secretHash: "h2",
                                                    createdAt: t0.addingTimeInterval(1)))
        #expect(try await store.pushKey(secretHash: "h1") == key)
        #expect(try await store.pushKey(secretHash: "nope") == nil)
        #expect(try await store.pushKeys(pipelineId: "p1").map(\.id) == ["k1"])
        #expect(try await store.revokePushKey(id: "k1", pipelineId: "p2", at: t0) == false)
        #expect(try await store.revokePushKey(id: "k1", pipelineId: "p1", at: t0.addingTimeInterval(5)))
        #expect(try await store.revokePushKey(id: "k1", pipelineId: "p1", at: t0) == false)
        #expect(try await store.pushKey(secretHash: "h1") == nil)
        #expect(try await store.pushKeys(pipelineId: "p1").first?.revokedAt == t0.addingTimeInterval(5))
    }

    @Test(arguments: Backend.allCases)
    func batchesAreNumberedPerPipelineStoredOnceAndMarkedWhenProcessed(_ backend: Backend) async throws {
        let store = try await backend.make()
        let (first, added) = try await store.addBatch(batch("b1"))
        #expect(added && first.sequence == 1)
        #expect(try await store.addBatch(batch("b2", bytes: 20)).batch.sequence == 2)
        #expect(try await store.addBatch(batch("b1", pipeline: "p2", tenant: "globex")).batch.sequence == 1)
        var again = batch("b1")
        again.sha256 = "other"
        let (stored, addedAgain) = try await store.addBatch(again)
        #expect(!addedAgain && stored == first)
        #expect(try await store.pushBatch(pipelineId: "p1", batchId: "b2")?.bytes == 20)
        #expect(try await store.pushBatch(pipelineId: "p1", batchId: "b3") == nil)
        #expect(try await store.pushBatches(pipelineId: "p1", after: 0, limit: 10).map(\.batchId) == ["b1", "b2"])
        #expect(try await store.pushBatches(pipelineId: "p1", after: 1, limit: 10).map(\.batchId) == ["b2"])
        #expect(try await store.pushBatches(pipelineId: "p1", after: 0, limit: 1).map(\.batchId) == ["b1"])
        #expect(try await store.pushBatchPage(pipelineId: "p1", before: nil, limit: 10).map(\.sequence) == [2, 1])
        #expect(try await store.pushBatchPage(pipelineId: "p1", before: 2, limit: 10).map(\.sequence) == [1])
        #expect(try await store.pendingPushBytes(tenantId: "acme") == 30)
        #expect(try await store.markBatches(pipelineId: "p1", through: 1, runId: "r1", at: t0) == 1)
        #expect(try await store.markBatches(pipelineId: "p1", through: 2, runId: "r2", at: t0) == 1)
        #expect(try await store.markBatches(pipelineId: "p1", through: 2, runId: "r3", at: t0) == 0)
        #expect(try await store.pushBatches(pipelineId: "p1", after: 0, limit: 10).map(\.runId) == ["r1", "r2"])
        #expect(try await store.pushBatch(pipelineId: "p1", batchId: "b1")?.processedAt == t0)
        #expect(try await store.pendingPushBytes(tenantId: "acme") == 0)
        #expect(try await store.pendingPushBytes(tenantId: "globex") == 10)
    }

    /// Concurrent adds, some of one id: every id once, sequences 1…N with no gap or repeat.
    @Test(arguments: Backend.allCases)
    func concurrentBatchesGetOneSequenceEach(_ backend: Backend) async throws {
        let store = try await backend.make()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<60 {
                group.addTask { _ = try await store.addBatch(self.batch("b\(i % 40)")) }
            }
            try await group.waitForAll()
        }
        let all = try await store.pushBatches(pipelineId: "p1", after: 0, limit: 100)
        #expect(all.map(\.sequence) == (1...40).map { Int64($0) })
        #expect(Set(all.map(\.batchId)).count == 40)
    }
}
