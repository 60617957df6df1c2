import Foundation
import GRDB
import OnrampStore

extension SQLiteStore {
    static func migratePush(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE push_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, pipeline_id TEXT NOT NULL, name TEXT NOT NULL,
                secret_hash TEXT NOT NULL UNIQUE, created_at REAL NOT NULL, revoked_at REAL);
            CREATE INDEX push_keys_by_pipeline ON push_keys (pipeline_id);
            CREATE TABLE push_batches (pipeline_id TEXT NOT NULL, sequence INTEGER NOT NULL, tenant_id TEXT NOT NULL,
                batch_id TEXT NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, gzip INTEGER NOT NULL,
                object TEXT NOT NULL, key_id TEXT NOT NULL, received_at REAL NOT NULL, run_id TEXT, processed_at REAL,
                PRIMARY KEY (pipeline_id, sequence), UNIQUE (pipeline_id, batch_id));
            CREATE INDEX push_batches_pending ON push_batches (tenant_id) WHERE run_id IS NULL;
            """)
    }

    static func pushKey(_ row: Row) -> PushKeyRecord {
        PushKeyRecord(id: row["id"], tenantId: row["tenant_id"], pipelineId: row["pipeline_id"], name: row["name"],
                      secretHash: row["secret_hash"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                      revokedAt: date(row["revoked_at"]))
    }

    static func pushBatch(_ row: Row) -> PushBatchRecord {
        PushBatchRecord(tenantId: row["tenant_id"], pipelineId: row["pipeline_id"], batchId: row["batch_id"],
                        sequence: row["sequence"], bytes: row["bytes"], sha256: row["sha256"], gzip: row["gzip"],
                        object: row["object"], keyId: row["key_id"], receivedAt: Date(timeIntervalSince1970: row["received_at"]),
                        runId: row["run_id"], processedAt: date(row["processed_at"]))
    }

    public func createPushKey(_ k: PushKeyRecord) async throws {
        try await db.write { db in
            try db.execute(sql: "INSERT INTO push_keys VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [k.id, k.tenantId, k.pipelineId, k.name, k.secretHash, k.createdAt.timeIntervalSince1970,
                                       k.revokedAt?.timeIntervalSince1970])
        }
    }

    public func pushKey(secretHash: String) async throws -> PushKeyRecord? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM push_keys WHERE secret_hash = ? AND revoked_at IS NULL",
                             arguments: [secretHash]).map(Self.pushKey)
        }
    }

    public func pushKeys(pipelineId: String) async throws -> [PushKeyRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM push_keys WHERE pipeline_id = ? ORDER BY created_at, id",
                             arguments: [pipelineId]).map(Self.pushKey)
        }
    }

    public func revokePushKey(id: String, pipelineId: String, at: Date) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "UPDATE push_keys SET revoked_at = ? WHERE id = ? AND pipeline_id = ? AND revoked_at IS NULL",
                           arguments: [at.timeIntervalSince1970, id, pipelineId])
            return db.changesCount == 1
        }
    }

    public func addBatch(_ b: PushBatchRecord) async throws -> (batch: PushBatchRecord, added: Bool) {
        try await db.write { db in
            if let stored = try Row.fetchOne(db, sql: "SELECT * FROM push_batches WHERE pipeline_id = ? AND batch_id = ?",
                                             arguments: [b.pipelineId, b.batchId]) {
                return (Self.pushBatch(stored), false)
            }
            var added = b
            added.sequence = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) + 1 FROM push_batches WHERE pipeline_id = ?",
                                                arguments: [b.pipelineId]) ?? 1
            try db.execute(sql: "INSERT INTO push_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                           arguments: [added.pipelineId, added.sequence, added.tenantId, added.batchId, added.bytes, added.sha256,
                                       added.gzip, added.object, added.keyId, added.receivedAt.timeIntervalSince1970])
            return (added, true)
        }
    }

    public func pushBatch(pipelineId: String, batchId: String) async throws -> PushBatchRecord? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM push_batches WHERE pipeline_id = ? AND batch_id = ?",
                             arguments: [pipelineId, batchId]).map(Self.pushBatch)
        }
    }

    public func pushBatches(pipelineId: String, after sequence: Int64, limit: Int) async throws -> [PushBatchRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM push_batches WHERE pipeline_id = ? AND sequence > ? ORDER BY sequence LIMIT ?",
                             arguments: [pipelineId, sequence, max(limit, 0)]).map(Self.pushBatch)
        }
    }

    public func pushBatchPage(pipelineId: String, before: Int64?, limit: Int) async throws -> [PushBatchRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM push_batches WHERE pipeline_id = ? AND sequence < ? ORDER BY sequence DESC LIMIT ?
                """, arguments: [pipelineId, before ?? Int64.max, max(limit, 0)]).map(Self.pushBatch)
        }
    }

    public func markBatches(pipelineId: String, through sequence: Int64, runId: String, at: Date) async throws -> Int {
        try await db.write { db in
            try db.execute(sql: """
                UPDATE push_batches SET run_id = ?, processed_at = ? WHERE pipeline_id = ? AND sequence <= ? AND run_id IS NULL
                """, arguments: [runId, at.timeIntervalSince1970, pipelineId, sequence])
            return db.changesCount
        }
    }

    public func pendingPushBytes(tenantId: String) async throws -> Int64 {
        try await db.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(bytes), 0) FROM push_batches WHERE tenant_id = ? AND run_id IS NULL",
                               arguments: [tenantId]) ?? 0
        }
    }
}
