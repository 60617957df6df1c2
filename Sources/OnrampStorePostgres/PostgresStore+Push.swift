import Foundation
import OnrampStore
import PostgresNIO

extension PostgresStore {
    static let pushMigration = [
        """
        CREATE TABLE push_keys (
          id TEXT COLLATE "C" PRIMARY KEY, tenant_id TEXT COLLATE "C" NOT NULL, pipeline_id TEXT COLLATE "C" NOT NULL,
          name TEXT NOT NULL, secret_hash TEXT NOT NULL UNIQUE, created_at DOUBLE PRECISION NOT NULL,
          revoked_at DOUBLE PRECISION)
        """,
        "CREATE INDEX push_keys_by_pipeline ON push_keys (pipeline_id)",
        """
        CREATE TABLE push_batches (
          pipeline_id TEXT COLLATE "C" NOT NULL, sequence BIGINT NOT NULL, tenant_id TEXT COLLATE "C" NOT NULL,
          batch_id TEXT COLLATE "C" NOT NULL, bytes BIGINT NOT NULL, sha256 TEXT NOT NULL, gzip BOOLEAN NOT NULL,
          object TEXT NOT NULL, key_id TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL, run_id TEXT,
          processed_at DOUBLE PRECISION, PRIMARY KEY (pipeline_id, sequence), UNIQUE (pipeline_id, batch_id))
        """,
        "CREATE INDEX push_batches_pending ON push_batches (tenant_id) WHERE run_id IS NULL",
    ]

    static func pushKey(_ row: PostgresRandomAccessRow) throws -> PushKeyRecord {
        PushKeyRecord(id: try row.text("id"), tenantId: try row.text("tenant_id"), pipelineId: try row.text("pipeline_id"),
                      name: try row.text("name"), secretHash: try row.text("secret_hash"), createdAt: try row.time("created_at"),
                      revokedAt: try row.optionalTime("revoked_at"))
    }

    static func pushBatch(_ row: PostgresRandomAccessRow) throws -> PushBatchRecord {
        PushBatchRecord(tenantId: try row.text("tenant_id"), pipelineId: try row.text("pipeline_id"), batchId: try row.text("batch_id"),
                        sequence: Int64(try row.int("sequence")), bytes: Int64(try row.int("bytes")), sha256: try row.text("sha256"),
                        gzip: try row.bool("gzip"), object: try row.text("object"), keyId: try row.text("key_id"),
                        receivedAt: try row.time("received_at"), runId: try row.optionalText("run_id"),
                        processedAt: try row.optionalTime("processed_at"))
    }

    public func createPushKey(_ k: PushKeyRecord) async throws {
        _ = try await rows("""
            INSERT INTO push_keys VALUES (\(k.id), \(k.tenantId), \(k.pipelineId), \(k.name), \(k.secretHash),
              \(k.createdAt.timeIntervalSince1970), \(k.revokedAt?.timeIntervalSince1970))
            """)
    }

    public func pushKey(secretHash: String) async throws -> PushKeyRecord? {
        try await rows("SELECT * FROM push_keys WHERE secret_hash = \(secretHash) AND revoked_at IS NULL").first.map(Self.pushKey)
    }

    public func pushKeys(pipelineId: String) async throws -> [PushKeyRecord] {
        try await rows("SELECT * FROM push_keys WHERE pipeline_id = \(pipelineId) ORDER BY created_at, id").map(Self.pushKey)
    }

    public func revokePushKey(id: String, pipelineId: String, at: Date) async throws -> Bool {
        try await !rows("""
            UPDATE push_keys SET revoked_at = \(at.timeIntervalSince1970)
            WHERE id = \(id) AND pipeline_id = \(pipelineId) AND revoked_at IS NULL RETURNING 1
            """).isEmpty
    }

    public func addBatch(_ b: PushBatchRecord) async throws -> (batch: PushBatchRecord, added: Bool) {
        try await transaction { c in
            // Batches of one pipeline are numbered one after another: a later sequence is never visible before an
            // earlier one, so a run that read up to N has seen every batch up to N.
            try await c.query("SELECT pg_advisory_xact_lock(hashtext(\("push:" + b.pipelineId)))", logger: logger)
            if let stored = try await rows("""
                SELECT * FROM push_batches WHERE pipeline_id = \(b.pipelineId) AND batch_id = \(b.batchId)
                """, on: c).first {
                return (try Self.pushBatch(stored), false)
            }
            var added = b
            added.sequence = Int64(try await rows("""
                SELECT COALESCE(MAX(sequence), 0) + 1 AS next FROM push_batches WHERE pipeline_id = \(b.pipelineId)
                """, on: c).first?.int("next") ?? 1)
            _ = try await rows("""
                INSERT INTO push_batches VALUES (\(added.pipelineId), \(Int(added.sequence)), \(added.tenantId), \(added.batchId),
                  \(Int(added.bytes)), \(added.sha256), \(added.gzip), \(added.object), \(added.keyId),
                  \(added.receivedAt.timeIntervalSince1970), NULL, NULL)
                """, on: c)
            return (added, true)
        }
    }

    public func pushBatch(pipelineId: String, batchId: String) async throws -> PushBatchRecord? {
        try await rows("SELECT * FROM push_batches WHERE pipeline_id = \(pipelineId) AND batch_id = \(batchId)").first
            .map(Self.pushBatch)
    }

    public func pushBatches(pipelineId: String, after sequence: Int64, limit: Int) async throws -> [PushBatchRecord] {
        try await rows("""
            SELECT * FROM push_batches WHERE pipeline_id = \(pipelineId) AND sequence > \(Int(sequence))
            ORDER BY sequence LIMIT \(max(limit, 0))
            """).map(Self.pushBatch)
    }

    public func pushBatchPage(pipelineId: String, before: Int64?, limit: Int) async throws -> [PushBatchRecord] {
        try await rows("""
            SELECT * FROM push_batches WHERE pipeline_id = \(pipelineId) AND sequence < \(Int(before ?? Int64.max))
            ORDER BY sequence DESC LIMIT \(max(limit, 0))
            """).map(Self.pushBatch)
    }

    public func markBatches(pipelineId: String, through sequence: Int64, runId: String, at: Date) async throws -> Int {
        try await rows("""
            UPDATE push_batches SET run_id = \(runId), processed_at = \(at.timeIntervalSince1970)
            WHERE pipeline_id = \(pipelineId) AND sequence <= \(Int(sequence)) AND run_id IS NULL RETURNING 1
            """).count
    }

    public func pendingPushBytes(tenantId: String) async throws -> Int64 {
        Int64(try await rows("""
            SELECT COALESCE(SUM(bytes), 0)::BIGINT AS pending FROM push_batches WHERE tenant_id = \(tenantId) AND run_id IS NULL
            """).first?.int("pending") ?? 0)
    }
}
