import Foundation
import GRDB
import OnrampCore
import OnrampStore

/// The error queue: one row per failed record of a run, the record's value sealed by the caller.
extension SQLiteStore {
    static func migrateErrorQueue(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE runs ADD COLUMN origin TEXT;
            CREATE TABLE error_queue (
              id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, run_id TEXT NOT NULL, pipeline_id TEXT NOT NULL,
              pipeline_version INTEGER NOT NULL, stage TEXT NOT NULL, step TEXT, code TEXT NOT NULL, message TEXT NOT NULL,
              field TEXT, file TEXT, line INTEGER, record_key TEXT, reentry_step INTEGER, value BLOB NOT NULL, state TEXT NOT NULL,
              replay_run_id TEXT, origin_id TEXT, edited_by TEXT, edited_at REAL, created_at REAL NOT NULL, updated_at REAL NOT NULL);
            CREATE INDEX error_queue_by_tenant ON error_queue (tenant_id, created_at);
            CREATE INDEX error_queue_by_run ON error_queue (run_id);
            CREATE INDEX error_queue_by_replay ON error_queue (replay_run_id);
            """)
    }

    static let errorColumns = ["id", "tenant_id", "run_id", "pipeline_id", "pipeline_version", "stage", "step", "code", "message",
                               "field", "file", "line", "record_key", "reentry_step", "value", "state", "replay_run_id", "origin_id", "edited_by",
                               "edited_at", "created_at", "updated_at"]

    static func values(_ e: ErrorEntry) -> [(any DatabaseValueConvertible)?] {
        [e.id, e.tenantId, e.runId, e.pipelineId, e.pipelineVersion, e.stage.rawValue, e.step, e.code, e.message, e.field,
         e.position.file, e.position.line, e.position.key, e.reentryStep, e.sealedValue, e.state.rawValue, e.replayRunId, e.originId, e.editedBy,
         e.editedAt?.timeIntervalSince1970, e.createdAt.timeIntervalSince1970, e.updatedAt.timeIntervalSince1970]
    }

    static func entry(_ row: Row) -> ErrorEntry {
        ErrorEntry(id: row["id"], tenantId: row["tenant_id"], runId: row["run_id"], pipelineId: row["pipeline_id"],
                   pipelineVersion: row["pipeline_version"], stage: Stage(rawValue: row["stage"]) ?? .transform, step: row["step"],
                   code: row["code"], message: row["message"], field: row["field"],
                   position: SourcePosition(file: row["file"], line: row["line"], key: row["record_key"]), reentryStep: row["reentry_step"],
                   sealedValue: row["value"], state: ErrorEntryState(rawValue: row["state"]) ?? .open,
                   replayRunId: row["replay_run_id"], originId: row["origin_id"], editedBy: row["edited_by"],
                   editedAt: date(row["edited_at"]), createdAt: Date(timeIntervalSince1970: row["created_at"]),
                   updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }

    public func queueErrors(_ entries: [ErrorEntry]) async throws {
        let sql = "INSERT INTO error_queue (\(Self.errorColumns.joined(separator: ", "))) VALUES "
            + "(\(Self.errorColumns.map { _ in "?" }.joined(separator: ", "))) ON CONFLICT (id) DO NOTHING"
        try await db.write { db in
            for e in entries { try db.execute(sql: sql, arguments: StatementArguments(Self.values(e))) }
        }
    }

    public func errorEntry(id: String) async throws -> ErrorEntry? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM error_queue WHERE id = ?", arguments: [id]).map(Self.entry) }
    }

    /// The WHERE clause for a tenant and a filter.
    static func conditions(tenantId: String, _ f: ErrorQueueFilter) -> (String, StatementArguments) {
        var conditions = ["tenant_id = ?"]
        var arguments: StatementArguments = [tenantId]
        for (column, value) in [("run_id", f.runId), ("pipeline_id", f.pipelineId), ("state", f.state?.rawValue), ("code", f.code),
                                ("step", f.step), ("replay_run_id", f.replayRunId)] {
            guard let value else { continue }
            conditions.append("\(column) = ?")
            arguments += [value]
        }
        if let ids = f.ids {
            conditions.append(ids.isEmpty ? "0" : "id IN (\(ids.map { _ in "?" }.joined(separator: ", ")))")
            arguments += StatementArguments(ids)
        }
        if let search = f.search {
            conditions.append("(instr(lower(message), lower(?)) > 0 OR instr(lower(code), lower(?)) > 0"
                              + " OR instr(lower(COALESCE(field, '')), lower(?)) > 0 OR instr(lower(COALESCE(step, '')), lower(?)) > 0)")
            arguments += [search, search, search, search]
        }
        return (" WHERE " + conditions.joined(separator: " AND "), arguments)
    }

    public func errorEntries(tenantId: String, filter: ErrorQueueFilter, limit: Int, after cursor: PageCursor?) async throws
        -> [ErrorEntry] {
        var (clause, arguments) = Self.conditions(tenantId: tenantId, filter)
        if let cursor {
            clause += " AND (created_at < ? OR (created_at = ? AND id < ?))"
            let seconds = cursor.createdAt.timeIntervalSince1970
            arguments += [seconds, seconds, cursor.id]
        }
        arguments += [max(limit, 0)]
        let sql = "SELECT * FROM error_queue" + clause + " ORDER BY created_at DESC, id DESC LIMIT ?"
        let bound = arguments
        return try await db.read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.entry) }
    }

    public func errorGroups(tenantId: String, filter: ErrorQueueFilter) async throws -> [ErrorGroup] {
        let (clause, arguments) = Self.conditions(tenantId: tenantId, filter)
        let sql = "SELECT code, step, field, COUNT(*) AS n FROM error_queue" + clause + " GROUP BY code, step, field"
        let groups = try await db.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map {
                ErrorGroup(code: $0["code"], step: $0["step"], field: $0["field"], count: $0["n"])
            }
        }
        return groups.sorted(by: ErrorGroup.ordered)
    }

    public func updateErrorEntries(tenantId: String, ids: [String], _ change: @escaping @Sendable (ErrorEntry) -> ErrorEntry?)
        async throws -> [ErrorEntry] {
        let set = Self.errorColumns.dropFirst(2).map { "\($0) = ?" }.joined(separator: ", ")
        return try await db.write { db in
            var changed: [ErrorEntry] = []
            for id in ids {
                guard let e = try Row.fetchOne(db, sql: "SELECT * FROM error_queue WHERE id = ? AND tenant_id = ?",
                                               arguments: [id, tenantId]).map(Self.entry),
                      var next = change(e) else { continue }
                next.id = e.id
                next.tenantId = e.tenantId
                try db.execute(sql: "UPDATE error_queue SET \(set) WHERE id = ?",
                               arguments: StatementArguments(Array(Self.values(next).dropFirst(2)) + [id]))
                changed.append(next)
            }
            return changed
        }
    }
}
