import Foundation
import GRDB
import OnrampCore
import OnrampStore

/// The embedded backend: one SQLite file (GRDB), migrated on open. Times are stored as epoch
/// seconds and documents as JSON text, so the schema carries over to PostgreSQL unchanged.
public final class SQLiteStore: PipelineStore, PipelineTestStore, RunStore, CheckpointStore, AccessStore, ScheduleStore, SecretStore, TemplateStore, UserStore, ConnectionStore, WebhookStore,
    AuditStore, ErrorQueueStore, PushStore, AgentStore {
    /// A pool (WAL: readers do not wait for the writer) for files; a queue for in-memory databases.
    let db: any DatabaseWriter

    /// Opens (creating and migrating) the database at `path`; nil opens a private in-memory one.
    public init(path: String?) throws {
        if let path {
            try FileManager.default.createDirectory(atPath: PathText.parent(path), withIntermediateDirectories: true)
            // Worker processes write the same file: wait for a busy writer instead of failing at once.
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            db = try DatabasePool(path: path, configuration: configuration)
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
        m.registerMigration("v8-pipeline-archive") { db in
            try db.execute(sql: "CREATE TABLE archived_pipelines (pipeline_id TEXT PRIMARY KEY, archived_at REAL NOT NULL)")
        }
        m.registerMigration("v9-attempts") { db in
            try db.execute(sql: "ALTER TABLE runs ADD COLUMN attempt_errors TEXT NOT NULL DEFAULT '[]'")
        }
        m.registerMigration("v10-audit", migrate: SQLiteStore.migrateAudit)
        m.registerMigration("v11-error-queue", migrate: SQLiteStore.migrateErrorQueue)
        m.registerMigration("v12-secret-origins") { db in
            try db.execute(sql: "ALTER TABLE secrets ADD COLUMN origins TEXT NOT NULL DEFAULT '[]'")
        }
        m.registerMigration("v13-pipeline-tests", migrate: SQLiteStore.migratePipelineTests)
        m.registerMigration("v14-run-progress") { db in
            try db.execute(sql: "ALTER TABLE runs ADD COLUMN progress TEXT")
        }
        m.registerMigration("v15-webhooks") { db in
            try db.execute(sql: """
                CREATE TABLE webhooks (tenant_id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL,
                    events TEXT NOT NULL, enabled INTEGER NOT NULL, updated_at REAL NOT NULL)
                """)
        }
        m.registerMigration("v16-run-notices") { db in
            // notice_due: the pending notice's due time (NULL otherwise), so the notifier's poll reads an index.
            try db.execute(sql: """
                ALTER TABLE runs ADD COLUMN notice TEXT;
                ALTER TABLE runs ADD COLUMN notice_due REAL;
                CREATE INDEX runs_by_notice_due ON runs (notice_due) WHERE notice_due IS NOT NULL;
                """)
        }
        m.registerMigration("v17-schedule-due") { db in
            // next_due_at: when the scheduler next evaluates the schedule (0: at once), so a tick reads an index.
            try db.execute(sql: """
                ALTER TABLE schedules ADD COLUMN next_due_at REAL NOT NULL DEFAULT 0;
                CREATE INDEX schedules_by_due ON schedules (next_due_at) WHERE enabled = 1;
                """)
        }
        m.registerMigration("v18-push", migrate: SQLiteStore.migratePush)
        m.registerMigration("v19-agents", migrate: SQLiteStore.migrateAgents)
        m.registerMigration("v20-agent-control", migrate: SQLiteStore.migrateAgentControl)
        m.registerMigration("v21-run-not-before") { db in try db.execute(sql: "ALTER TABLE runs ADD COLUMN not_before REAL") }
        return m
    }

    static func json(_ text: String?) -> Value? { text.flatMap { try? JSONParser.parse($0) } }
    static func date(_ seconds: Double?) -> Date? { seconds.map(Date.init(timeIntervalSince1970:)) }

    static func version(_ row: Row) -> PipelineVersion {
        PipelineVersion(pipelineId: row["pipeline_id"], tenantId: row["tenant_id"], name: row["name"], version: row["version"],
                        document: json(row["document"]) ?? .null, createdAt: Date(timeIntervalSince1970: row["created_at"]),
                        archivedAt: date(row["archived_at"]))
    }

    static func run(_ row: Row) -> RunRecord {
        RunRecord(id: row["id"], tenantId: row["tenant_id"], pipelineId: row["pipeline_id"], pipelineVersion: row["pipeline_version"],
                  trigger: row["trigger"], fullResync: row["full_resync"], state: RunState(rawValue: row["state"]) ?? .failed,
                  createdAt: Date(timeIntervalSince1970: row["created_at"]), startedAt: date(row["started_at"]),
                  finishedAt: date(row["finished_at"]), leaseOwner: row["lease_owner"], leaseExpiresAt: date(row["lease_expires_at"]),
                  attempts: row["attempts"], cancelRequested: row["cancel_requested"],
                  attemptErrors: json(row["attempt_errors"])?.arrayValue?.compactMap(\.stringValue) ?? [],
                  summary: json(row["summary"]), origin: row["origin"], progress: json(row["progress"]),
                  notice: (row["notice"] as String?).flatMap { try? JSONDecoder().decode(RunNotice.self, from: Data($0.utf8)) },
                  notBefore: date(row["not_before"]))
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
            try db.execute(sql: "DELETE FROM archived_pipelines WHERE pipeline_id = ?", arguments: [id])
            return PipelineVersion(pipelineId: id, tenantId: tenantId, name: name, version: version, document: document, createdAt: at)
        }
    }

    public func pipeline(id: String, version: Int?) async throws -> PipelineVersion? {
        try await db.read { db in
            let row = if let version {
                try Row.fetchOne(db, sql: "\(SQLiteStore.versionsWithArchive) WHERE p.pipeline_id = ? AND p.version = ?", arguments: [id, version])
            } else {
                try Row.fetchOne(db, sql: "\(SQLiteStore.versionsWithArchive) WHERE p.pipeline_id = ? ORDER BY p.version DESC LIMIT 1",
                                 arguments: [id])
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
                WHERE (? IS NULL OR p.tenant_id = ?) AND p.pipeline_id NOT IN (SELECT pipeline_id FROM archived_pipelines)
                ORDER BY p.name
                """, arguments: [tenantId, tenantId]).map(SQLiteStore.version)
        }
    }

    // MARK: runs

    static let runColumns = ["id", "tenant_id", "pipeline_id", "pipeline_version", "trigger", "full_resync", "state", "created_at",
                             "started_at", "finished_at", "lease_owner", "lease_expires_at", "attempts", "cancel_requested",
                             "summary", "attempt_errors", "origin", "progress", "notice", "notice_due", "not_before"]

    static func values(_ r: RunRecord) -> [(any DatabaseValueConvertible)?] {
        [r.id, r.tenantId, r.pipelineId, r.pipelineVersion, r.trigger, r.fullResync, r.state.rawValue, r.createdAt.timeIntervalSince1970,
         r.startedAt?.timeIntervalSince1970, r.finishedAt?.timeIntervalSince1970, r.leaseOwner, r.leaseExpiresAt?.timeIntervalSince1970,
         r.attempts, r.cancelRequested, r.summary.map { JSONWriter.string($0) },
         JSONWriter.string(.array(r.attemptErrors.map(Value.string))), r.origin, r.progress.map { JSONWriter.string($0) },
         r.notice.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) },
         r.notice.flatMap { $0.state == .pending ? $0.dueAt.timeIntervalSince1970 : nil }, r.notBefore?.timeIntervalSince1970]
    }

    public func enqueue(_ r: RunRecord) async throws {
        try await db.write { db in
            try db.execute(sql: "INSERT INTO runs (\(Self.runColumns.joined(separator: ", "))) VALUES "
                           + "(\(Self.runColumns.map { _ in "?" }.joined(separator: ", "))) ON CONFLICT (id) DO NOTHING",
                           arguments: StatementArguments(Self.values(r)))
        }
    }

    /// Stores a run changed by a `RunLifecycle` transition.
    static func save(_ r: RunRecord, _ db: Database) throws {
        try db.execute(sql: "UPDATE runs SET \(runColumns.dropFirst().map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?",
                       arguments: StatementArguments(Array(values(r).dropFirst()) + [r.id]))
    }

    public func nextHeldBack(after now: Date) async throws -> Date? {
        try await db.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(not_before) FROM runs WHERE state = 'queued' AND not_before > ?",
                                arguments: [now.timeIntervalSince1970]).map { Date(timeIntervalSince1970: $0) }
        }
    }

    public func claim(worker: String, now: Date, policy: ClaimPolicy) async throws -> RunRecord? {
        try await db.write { db in
            let running = try Row.fetchAll(db, sql: "SELECT * FROM runs WHERE state = 'running'").map(SQLiteStore.run)
            var after = (Double(-Double.greatestFiniteMagnitude), "")
            while true {
                let page = try Row.fetchAll(db, sql: """
                    SELECT * FROM runs WHERE state = 'queued' AND (created_at > ? OR (created_at = ? AND id > ?))
                    ORDER BY created_at, id LIMIT ?
                    """, arguments: [after.0, after.0, after.1, SQLiteStore.claimPage]).map(SQLiteStore.run)
                if let (claimed, changed) = RunLifecycle.claim(running: running, queuedPage: page, pageSize: SQLiteStore.claimPage,
                                                               worker: worker, now: now, policy: policy) {
                    for r in changed { try SQLiteStore.save(r, db) }
                    return claimed
                }
                after = (page[page.count - 1].createdAt.timeIntervalSince1970, page[page.count - 1].id)
            }
        }
    }

    /// Queued runs a claim reads at a time.
    static let claimPage = 200

    /// Applies a transition to one run in a write transaction; false when it refused.
    func update(_ id: String, _ transition: @escaping @Sendable (RunRecord) -> RunRecord?) async throws -> Bool {
        try await db.write { db in
            guard let run = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(SQLiteStore.run),
                  let next = transition(run) else { return false }
            try SQLiteStore.save(next, db)
            return true
        }
    }

    public func heartbeat(_ fence: RunFence, until: Date, now: Date) async throws -> Bool {
        try await update(fence.runId) { RunLifecycle.heartbeat($0, fence, until: until, now: now) }
    }

    public func progress(_ fence: RunFence, _ progress: Value, now: Date) async throws -> Bool {
        try await update(fence.runId) { RunLifecycle.progress($0, fence, progress, now: now) }
    }

    public func finish(_ fence: RunFence, state: RunState, summary: Value, at: Date) async throws -> Bool {
        try await update(fence.runId) { RunLifecycle.finish($0, fence, state: state, summary: summary, at: at) }
    }

    public func release(_ fence: RunFence, failure: String?, summary: Value?, at: Date, maxAttempts: Int) async throws -> Bool {
        try await update(fence.runId) { RunLifecycle.release($0, fence, failure: failure, summary: summary, at: at, maxAttempts: maxAttempts) }
    }

    public func requestCancel(runId: String) async throws -> RunRecord? {
        _ = try await update(runId) { RunLifecycle.requestCancel($0) }
        return try await run(id: runId)
    }

    public func reset(pipeline: String, fence: RunFence, now: Date) async throws -> Bool {
        try await whileHolding(fence, now: now) { db in
            try db.execute(sql: "DELETE FROM checkpoints WHERE pipeline = ?", arguments: [pipeline])
        }
    }

    public func commit(pipeline: String, checkpoint: Value, fence: RunFence, now: Date) async throws -> Bool {
        try await whileHolding(fence, now: now) { db in try SQLiteStore.upsertCheckpoint(pipeline, checkpoint, db) }
    }

    /// Runs `write` in the transaction that checks `fence` still holds its run; false (nothing written) otherwise.
    func whileHolding(_ fence: RunFence, now: Date, _ write: @escaping @Sendable (Database) throws -> Void) async throws -> Bool {
        try await db.write { db in
            guard let run = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [fence.runId]).map(SQLiteStore.run),
                  RunLifecycle.holds(run, fence, now: now) else { return false }
            try write(db)
            return true
        }
    }

    public func run(id: String) async throws -> RunRecord? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(SQLiteStore.run) }
    }

    public func runs(tenantId: String?, pipelineId: String?, state: RunState?, created: Range<Date>?, limit: Int,
                     after cursor: PageCursor?) async throws -> [RunRecord] {
        // Only the filters given go into the query, so SQLite can use the (tenant_id, created_at) index.
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let tenantId { conditions.append("tenant_id = ?"); arguments += [tenantId] }
        if let pipelineId { conditions.append("pipeline_id = ?"); arguments += [pipelineId] }
        if let state { conditions.append("state = ?"); arguments += [state.rawValue] }
        if let created {
            conditions.append("created_at >= ? AND created_at < ?")
            arguments += [created.lowerBound.timeIntervalSince1970, created.upperBound.timeIntervalSince1970]
        }
        if let cursor {
            // The cursor's run's stored time when it exists (exact), else the cursor's own.
            let time = "COALESCE((SELECT created_at FROM runs WHERE id = ?), ?)"
            conditions.append("(created_at < \(time) OR (created_at = \(time) AND id < ?))")
            let seconds = cursor.createdAt.timeIntervalSince1970
            arguments += [cursor.id, seconds, cursor.id, seconds, cursor.id]
        }
        arguments += [limit]
        let sql = "SELECT * FROM runs" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY created_at DESC, id DESC LIMIT ?"
        let bound = arguments
        return try await db.read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(SQLiteStore.run) }
    }

    public func queue() async throws -> [TenantQueue] {
        try await db.read { db in
            try Row.fetchAll(db, sql: """
            SELECT tenant_id, SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END) AS queued,
                   SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END) AS running,
                   MIN(CASE WHEN state = 'queued' THEN created_at END) AS oldest
            FROM runs WHERE state IN ('queued', 'running') GROUP BY tenant_id ORDER BY tenant_id
            """).map { row in
                TenantQueue(tenantId: row["tenant_id"], queued: row["queued"], running: row["running"],
                            oldestQueuedAt: SQLiteStore.date(row["oldest"]))
            }
        }
    }

    public func claimNotices(owner: String, now: Date, lease: TimeInterval, limit: Int) async throws -> [RunRecord] {
        try await db.write { db in
            let due = try Row.fetchAll(db, sql: "SELECT * FROM runs WHERE notice_due <= ? ORDER BY notice_due, id LIMIT ?",
                                       arguments: [now.timeIntervalSince1970, limit]).map(SQLiteStore.run)
            return try due.compactMap { run in
                guard run.notice != nil else {
                    // A notice this version cannot read would hold its place at the head of the queue for ever.
                    try db.execute(sql: "UPDATE runs SET notice_due = NULL WHERE id = ?", arguments: [run.id])
                    return nil
                }
                guard let claimed = RunNotice.claim(run, owner: owner, now: now, lease: lease) else { return nil }
                try SQLiteStore.save(claimed, db)
                return claimed
            }
        }
    }

    public func settleNotice(runId: String, owner: String, attempt: Int, _ outcome: RunNotice.Outcome, at: Date) async throws -> Bool {
        try await update(runId) { RunNotice.settle($0, owner: owner, attempt: attempt, outcome, at: at) }
    }

    // MARK: checkpoints

    public func load(pipeline: String) async throws -> Value? {
        try await db.read { db in SQLiteStore.json(try String.fetchOne(db, sql: "SELECT checkpoint FROM checkpoints WHERE pipeline = ?", arguments: [pipeline])) }
    }

    static func upsertCheckpoint(_ pipeline: String, _ checkpoint: Value, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO checkpoints VALUES (?, ?) ON CONFLICT (pipeline) DO UPDATE SET checkpoint = excluded.checkpoint",
                       arguments: [pipeline, JSONWriter.string(checkpoint)])
    }

    public func commit(pipeline: String, checkpoint: Value) async throws {
        try await db.write { db in
            try SQLiteStore.upsertCheckpoint(pipeline, checkpoint, db)
        }
    }

    public func reset(pipeline: String) async throws {
        try await db.write { db in try db.execute(sql: "DELETE FROM checkpoints WHERE pipeline = ?", arguments: [pipeline]) }
    }
}

extension SQLiteStore: @unchecked Sendable {}
