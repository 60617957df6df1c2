import Foundation

/// A push key as stored: it lets its holder push batches to one pipeline of one tenant and nothing else (no API
/// call a tenant's API key makes); only a hash of the secret is kept.
public struct PushKeyRecord: Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var pipelineId: String
    public var name: String
    public var secretHash: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: String, tenantId: String, pipelineId: String, name: String, secretHash: String, createdAt: Date,
                revokedAt: Date? = nil) {
        self.id = id
        self.tenantId = tenantId
        self.pipelineId = pipelineId
        self.name = name
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// A batch pushed to a pipeline, once durable: its sealed bytes are at `object` (a name in the object store, or under
/// the data directory), numbered `sequence` in the order batches of the pipeline were stored (1, 2, …). A run reads
/// the batches after its checkpoint's sequence; `runId` is the run that processed it (nil: pending).
public struct PushBatchRecord: Sendable, Equatable {
    public var tenantId: String
    public var pipelineId: String
    public var batchId: String
    public var sequence: Int64
    /// Bytes as received (compressed when `gzip`).
    public var bytes: Int64
    /// SHA-256 of the bytes as received, hex: the same batch id sent again must carry the same bytes.
    public var sha256: String
    public var gzip: Bool
    public var object: String
    public var keyId: String
    public var receivedAt: Date
    public var runId: String?
    public var processedAt: Date?

    public init(tenantId: String, pipelineId: String, batchId: String, sequence: Int64 = 0, bytes: Int64, sha256: String,
                gzip: Bool, object: String, keyId: String, receivedAt: Date, runId: String? = nil, processedAt: Date? = nil) {
        self.tenantId = tenantId
        self.pipelineId = pipelineId
        self.batchId = batchId
        self.sequence = sequence
        self.bytes = bytes
        self.sha256 = sha256
        self.gzip = gzip
        self.object = object
        self.keyId = keyId
        self.receivedAt = receivedAt
        self.runId = runId
        self.processedAt = processedAt
    }
}

/// Push keys and pushed batches. `addBatch` is the only way a batch is numbered: in one transaction it gives the
/// next sequence of the pipeline, or answers the batch already stored under that id, so sequences become visible in
/// order and a batch id is stored once however many times it is sent.
public protocol PushStore: Sendable {
    func createPushKey(_ key: PushKeyRecord) async throws
    /// The live (not revoked) key with this secret hash.
    func pushKey(secretHash: String) async throws -> PushKeyRecord?
    func pushKeys(pipelineId: String) async throws -> [PushKeyRecord]
    /// Revokes the pipeline's key `id`; false when there is no such live key.
    func revokePushKey(id: String, pipelineId: String, at: Date) async throws -> Bool
    /// Stores `batch` with the pipeline's next sequence; when the pipeline has that batch id already, stores nothing
    /// and answers the stored one with `added` false.
    func addBatch(_ batch: PushBatchRecord) async throws -> (batch: PushBatchRecord, added: Bool)
    func pushBatch(pipelineId: String, batchId: String) async throws -> PushBatchRecord?
    /// The pipeline's batches with a sequence after `sequence`, oldest first, at most `limit`.
    func pushBatches(pipelineId: String, after sequence: Int64, limit: Int) async throws -> [PushBatchRecord]
    /// Newest first: the page before sequence `before` (nil: from the newest).
    func pushBatchPage(pipelineId: String, before: Int64?, limit: Int) async throws -> [PushBatchRecord]
    /// Marks the pipeline's pending batches up to `sequence` as processed by `runId`; how many it marked.
    func markBatches(pipelineId: String, through sequence: Int64, runId: String, at: Date) async throws -> Int
    /// Bytes of the tenant's batches not processed yet.
    func pendingPushBytes(tenantId: String) async throws -> Int64
}
