import Foundation

extension MemoryStore {
    public func createPushKey(_ key: PushKeyRecord) { pushKeysById[key.id] = key }

    public func pushKey(secretHash: String) -> PushKeyRecord? {
        pushKeysById.values.first { $0.secretHash == secretHash && $0.revokedAt == nil }
    }

    public func pushKeys(pipelineId: String) -> [PushKeyRecord] {
        pushKeysById.values.filter { $0.pipelineId == pipelineId }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func revokePushKey(id: String, pipelineId: String, at: Date) -> Bool {
        guard let key = pushKeysById[id], key.pipelineId == pipelineId, key.revokedAt == nil else { return false }
        pushKeysById[id]?.revokedAt = at
        return true
    }

    public func addBatch(_ batch: PushBatchRecord) -> (batch: PushBatchRecord, added: Bool) {
        let batches = pushBatchesByPipeline[batch.pipelineId] ?? []
        if let stored = batches.first(where: { $0.batchId == batch.batchId }) { return (stored, false) }
        var added = batch
        added.sequence = (batches.last?.sequence ?? 0) + 1
        pushBatchesByPipeline[batch.pipelineId, default: []].append(added)
        return (added, true)
    }

    public func pushBatch(pipelineId: String, batchId: String) -> PushBatchRecord? {
        pushBatchesByPipeline[pipelineId]?.first { $0.batchId == batchId }
    }

    public func pushBatches(pipelineId: String, after sequence: Int64, limit: Int) -> [PushBatchRecord] {
        Array((pushBatchesByPipeline[pipelineId] ?? []).lazy.filter { $0.sequence > sequence }.prefix(max(limit, 0)))
    }

    public func pushBatchPage(pipelineId: String, before: Int64?, limit: Int) -> [PushBatchRecord] {
        Array((pushBatchesByPipeline[pipelineId] ?? []).reversed().lazy.filter { before == nil || $0.sequence < before! }
            .prefix(max(limit, 0)))
    }

    public func markBatches(pipelineId: String, through sequence: Int64, runId: String, at: Date) -> Int {
        guard var batches = pushBatchesByPipeline[pipelineId] else { return 0 }
        var marked = 0
        for i in batches.indices where batches[i].sequence <= sequence && batches[i].runId == nil {
            batches[i].runId = runId
            batches[i].processedAt = at
            marked += 1
        }
        pushBatchesByPipeline[pipelineId] = batches
        return marked
    }

    public func pendingPushBytes(tenantId: String) -> Int64 {
        pushBatchesByPipeline.values.joined().filter { $0.tenantId == tenantId && $0.runId == nil }.reduce(0) { $0 + $1.bytes }
    }
}
