import Foundation
import GRDB
import OnrampCore
import OnrampStore

/// The embedded backend: one SQLite file (GRDB), migrated on open. Times are stored as epoch
/// seconds and documents as JSON text, so the schema carries over to PostgreSQL unchanged.
public final class SQLiteStore: PipelineStore, RunStore, CheckpointStore, AccessStore, ScheduleStore, SecretStore, TemplateStore, UserStore, ConnectionStore,
    AuditStore {
    /// A pool (WAL: readers do not wait for the writer) for files; a queue for in-memory databases.
    let db: any DatabaseWriter

    /// Opens (creating and migrating) the database at `path`; nil opens a private in-memory one.
    public init(path: String?) throws {
        if let path {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            db = try DatabasePool(path: path)
        } else {
            db = try DatabaseQueue()
        }
        try SQLiteStore.migrator.migrate(db)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE pipeline_versions (
                  pipeline_id TEXT NOT NULL, tenant_id TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
                  document TEXT NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (pipeline_id, version));
                CREATE INDEX pipeline_versions_by_name ON pipeline_versions (tenant_id, name);
                CREATE TABLE runs (
                  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, pipeline_id TEXT NOT NULL, pipeline_version INTEGER NOT NULL,
                  trigger TEXT NOT NULL, full_resync INTEGER NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL,
                  started_at REAL, finished_at REAL, lease_owner TEXT, lease_expires_at REAL, attempts INTEGER NOT NULL,
                  cancel_requested INTEGER NOT NULL, summary TEXT);
                CREATE INDEX runs_by_state ON runs (state, created_at);
                CREATE INDEX runs_by_tenant ON runs (tenant_id, created_at);
                CREATE TABLE checkpoints (pipeline TEXT PRIMARY KEY, checkpoint TEXT NOT NULL);
                """)
        }
        m.registerMigration("v2-access") { db in
            try db.execute(sql: """
                CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at REAL NOT NULL);
                CREATE TABLE api_keys (
                  id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, tenant_id TEXT, secret_hash TEXT NOT NULL UNIQUE,
                  created_at REAL NOT NULL, revoked_at REAL);
                """)
        }
        m.registerMigration("v3-schedules") { db in
            try db.execute(sql: """
                CREATE TABLE schedules (
                  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, pipeline_id TEXT NOT NULL, cron TEXT NOT NULL, timezone TEXT NOT NULL,
                  enabled INTEGER NOT NULL, created_at REAL NOT NULL, last_fired_at REAL);
                """)
        }
        m.registerMigration("v4-secrets") { db in
            try db.execute(sql: """
                CREATE TABLE secrets (tenant_id TEXT NOT NULL, name TEXT NOT NULL, ciphertext BLOB NOT NULL, updated_at REAL NOT NULL,
                                      PRIMARY KEY (tenant_id, name));
                """)
        }
        m.registerMigration("v5-templates") { db in
            try db.execute(sql: "CREATE TABLE templates (name TEXT PRIMARY KEY, description TEXT NOT NULL, document TEXT NOT NULL, updated_at REAL NOT NULL)")
        }
        m.registerMigration("v6-users") { db in
            try db.execute(sql: """
                CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, role TEXT NOT NULL, tenant_id TEXT,
                                    password_hash TEXT NOT NULL, created_at REAL NOT NULL);
                CREATE TABLE sessions (secret_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, csrf_token TEXT NOT NULL, expires_at REAL NOT NULL);
                """)
        }
        m.registerMigration("v7-connections") { db in
            try db.execute(sql: """
                CREATE TABLE connections (tenant_id TEXT NOT NULL, name TEXT NOT NULL, connector TEXT NOT NULL, config TEXT NOT NULL,
                                          updated_at REAL NOT NULL, PRIMARY KEY (tenant_id, name));
                """)
        }
        m.registerMigration("v8-audit", migrate: SQLiteStore.migrateAudit)
        return m
    }

    static func json(_ text: String?) -> Value? { text.flatMap { try? JSONParser.parse($0) } }
    static func date(_ seconds: Double?) -> Date? { seconds.map(Date.init(timeIntervalSince1970:)) }

    static func version(_ row: Row) -> PipelineVersion {
        PipelineVersion(pipelineId: row["pipeline_id"], tenantId: row["tenant_id"], name: row["name"], version: row["version"],
                        document: json(row["document"]) ?? .null, createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    static func run(_ row: Row) -> RunRecord {
        RunRecord(id: row["id"], tenantId: row["tenant_id"], pipelineId: row["pipeline_id"], pipelineVersion: row["pipeline_version"],
                  trigger: row["trigger"], fullResync: row["full_resync"], state: RunState(rawValue: row["state"]) ?? .failed,
                  createdAt: Date(timeIntervalSince1970: row["created_at"]), startedAt: date(row["started_at"]),
                  finishedAt: date(row["finished_at"]), leaseOwner: row["lease_owner"], leaseExpiresAt: date(row["lease_expires_at"]),
                  attempts: row["attempts"], cancelRequested: row["cancel_requested"], summary: json(row["summary"]))
    }

    // MARK: pipelines

    public func savePipeline(tenantId: String, name: String, document: Value, at: Date) async throws -> PipelineVersion {
        try await db.write { db in
            let existing = try Row.fetchOne(db, sql: "SELECT pipeline_id, MAX(version) AS v FROM pipeline_versions WHERE tenant_id = ? AND name = ? GROUP BY pipeline_id",
                                            arguments: [tenantId, name])
            let id: String = existing?["pipeline_id"] ?? UUID().uuidString.lowercased()
            let version = (existing?["v"] as Int? ?? 0) + 1
            try db.execute(sql: "INSERT INTO pipeline_versions VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, tenantId, name, version, JSONWriter.string(document), at.timeIntervalSince1970])
            return PipelineVersion(pipelineId: id, tenantId: tenantId, name: name, version: version, document: document, createdAt: at)
        }
    }

    public func pipeline(id: String, version: Int?) async throws -> PipelineVersion? {
        try await db.read { db in
            let row = if let version {
                try Row.fetchOne(db, sql: "SELECT * FROM pipeline_versions WHERE pipeline_id = ? AND version = ?", arguments: [id, version])
            } else {
                try Row.fetchOne(db, sql: "SELECT * FROM pipeline_versions WHERE pipeline_id = ? ORDER BY version DESC LIMIT 1", arguments: [id])
            }
            return row.map(SQLiteStore.version)
        }
    }

    public func pipelines(tenantId: String?) async throws -> [PipelineVersion] {
        try await db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT p.* FROM pipeline_versions p
                JOIN (SELECT pipeline_id, MAX(version) AS v FROM pipeline_versions GROUP BY pipeline_id) l
                  ON p.pipeline_id = l.pipeline_id AND p.version = l.v
                WHERE (? IS NULL OR p.tenant_id = ?) ORDER BY p.name
                """, arguments: [tenantId, tenantId]).map(SQLiteStore.version)
        }
    }

    // MARK: runs

    public func enqueue(_ r: RunRecord) async throws {
        try await db.write { db in
            try db.execute(sql: "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING", arguments: [
                r.id, r.tenantId, r.pipelineId, r.pipelineVersion, r.trigger, r.fullResync, r.state.rawValue, r.createdAt.timeIntervalSince1970,
                r.startedAt?.timeIntervalSince1970, r.finishedAt?.timeIntervalSince1970, r.leaseOwner, r.leaseExpiresAt?.timeIntervalSince1970,
                r.attempts, r.cancelRequested, r.summary.map { JSONWriter.string($0) },
            ])
        }
    }

    public func claim(worker: String, now: Date, lease: TimeInterval, perTenantLimit: Int) async throws -> RunRecord? {
        let t = now.timeIntervalSince1970
        return try await db.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT * FROM runs
                WHERE (state = 'queued' OR (state = 'running' AND lease_expires_at <= ?))
                  AND tenant_id NOT IN (SELECT tenant_id FROM runs WHERE state = 'running' AND lease_expires_at > ?
                                        GROUP BY tenant_id HAVING COUNT(*) >= ?)
                ORDER BY created_at, id LIMIT 1
                """, arguments: [t, t, perTenantLimit]) else { return nil }
            var run = SQLiteStore.run(row)
            run.state = .running
            run.startedAt = run.startedAt ?? now
            run.leaseOwner = worker
            run.leaseExpiresAt = now.addingTimeInterval(lease)
            run.attempts += 1
            try db.execute(sql: "UPDATE runs SET state = 'running', started_at = ?, lease_owner = ?, lease_expires_at = ?, attempts = ? WHERE id = ?",
                           arguments: [run.startedAt!.timeIntervalSince1970, worker, run.leaseExpiresAt!.timeIntervalSince1970, run.attempts, run.id])
            return run
        }
    }

    public func heartbeat(runId: String, worker: String, until: Date) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "UPDATE runs SET lease_expires_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?",
                           arguments: [until.timeIntervalSince1970, runId, worker])
            return db.changesCount == 1
        }
    }

    public func finish(runId: String, worker: String, state: RunState, summary: Value, at: Date) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: """
                UPDATE runs SET state = ?, summary = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL
                WHERE id = ? AND state = 'running' AND lease_owner = ?
                """, arguments: [state.rawValue, JSONWriter.string(summary), at.timeIntervalSince1970, runId, worker])
            return db.changesCount == 1
        }
    }

    public func requestCancel(runId: String) async throws -> RunRecord? {
        try await db.write { db in
            try db.execute(sql: "UPDATE runs SET state = 'cancelled' WHERE id = ? AND state = 'queued'", arguments: [runId])
            try db.execute(sql: "UPDATE runs SET cancel_requested = 1 WHERE id = ? AND state = 'running'", arguments: [runId])
            return try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [runId]).map(SQLiteStore.run)
        }
    }

    public func run(id: String) async throws -> RunRecord? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(SQLiteStore.run) }
    }

    public func runs(tenantId: String?, pipelineId: String?, state: RunState?, limit: Int, before: Date?) async throws -> [RunRecord] {
        // Only the filters given go into the query, so SQLite can use the (tenant_id, created_at) index.
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let tenantId { conditions.append("tenant_id = ?"); arguments += [tenantId] }
        if let pipelineId { conditions.append("pipeline_id = ?"); arguments += [pipelineId] }
        if let state { conditions.append("state = ?"); arguments += [state.rawValue] }
        if let before { conditions.append("created_at < ?"); arguments += [before.timeIntervalSince1970] }
        arguments += [limit]
        let sql = "SELECT * FROM runs" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY created_at DESC, id DESC LIMIT ?"
        let bound = arguments
        return try await db.read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(SQLiteStore.run) }
    }

    public func queueDepth() async throws -> Int {
        try await db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs WHERE state = 'queued'") ?? 0 }
    }

    // MARK: checkpoints

    public func load(pipeline: String) async throws -> Value? {
        try await db.read { db in SQLiteStore.json(try String.fetchOne(db, sql: "SELECT checkpoint FROM checkpoints WHERE pipeline = ?", arguments: [pipeline])) }
    }

    public func commit(pipeline: String, checkpoint: Value) async throws {
        try await db.write { db in
            try db.execute(sql: "INSERT INTO checkpoints VALUES (?, ?) ON CONFLICT (pipeline) DO UPDATE SET checkpoint = excluded.checkpoint",
                           arguments: [pipeline, JSONWriter.string(checkpoint)])
        }
    }

    public func reset(pipeline: String) async throws {
        try await db.write { db in try db.execute(sql: "DELETE FROM checkpoints WHERE pipeline = ?", arguments: [pipeline]) }
    }
}

extension SQLiteStore: @unchecked Sendable {}
