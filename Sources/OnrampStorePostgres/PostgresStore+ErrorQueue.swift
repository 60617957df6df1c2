import Foundation
import Logging
import OnrampCore
import OnrampStore
import PostgresNIO

/// The audit log (newest first by sequence number) and the error queue (one row per failed record of a run).
extension PostgresStore {
    static func audit(_ row: PostgresRandomAccessRow) throws -> AuditRecord {
        AuditRecord(id: try row.text("id"), at: try row.time("at"), tenantId: try row.optionalText("tenant_id"),
                    actorKind: AuditRecord.ActorKind(rawValue: try row.text("actor_kind")) ?? .apiKey,
                    actorId: try row.text("actor_id"), actorName: try row.text("actor_name"), action: try row.text("action"),
                    resourceType: try row.text("resource_type"), resourceId: try row.optionalText("resource_id"),
                    status: try row.int("status"), sequence: try row["seq"].decode(Int64.self))
    }

    public func appendAudit(_ e: AuditRecord) async throws {
        try await client.query("""
            INSERT INTO audit_log (id, at, tenant_id, actor_kind, actor_id, actor_name, action, resource_type, resource_id, status)
            VALUES (\(e.id), \(e.at.timeIntervalSince1970), \(e.tenantId), \(e.actorKind.rawValue), \(e.actorId), \(e.actorName),
              \(e.action), \(e.resourceType), \(e.resourceId), \(e.status))
            """, logger: logger)
    }

    public func auditEntries(tenantId: String?, limit: Int, before: Int64?) async throws -> [AuditRecord] {
        try await rows("""
            SELECT * FROM audit_log WHERE (\(tenantId)::text IS NULL OR tenant_id = \(tenantId))
              AND (\(before)::bigint IS NULL OR seq < \(before))
            ORDER BY seq DESC LIMIT \(max(limit, 0))
            """).map(Self.audit)
    }

    // MARK: error queue

    static func entry(_ row: PostgresRandomAccessRow) throws -> ErrorEntry {
        ErrorEntry(id: try row.text("id"), tenantId: try row.text("tenant_id"), runId: try row.text("run_id"),
                   pipelineId: try row.text("pipeline_id"), pipelineVersion: try row.int("pipeline_version"),
                   stage: Stage(rawValue: try row.text("stage")) ?? .transform, step: try row.optionalText("step"),
                   code: try row.text("code"), message: try row.text("message"), field: try row.optionalText("field"),
                   position: SourcePosition(file: try row.optionalText("file"), line: try row.optionalInt("line"),
                                            key: try row.optionalText("record_key")),
                   reentryStep: try row.optionalInt("reentry_step"), sealedValue: try row.bytes("value"),
                   state: ErrorEntryState(rawValue: try row.text("state")) ?? .open,
                   replayRunId: try row.optionalText("replay_run_id"), originId: try row.optionalText("origin_id"),
                   editedBy: try row.optionalText("edited_by"), editedAt: try row.optionalTime("edited_at"),
                   createdAt: try row.time("created_at"), updatedAt: try row.time("updated_at"))
    }

    public func queueErrors(_ entries: [ErrorEntry]) async throws {
        try await transaction { c in
            for e in entries {
                try await c.query("""
                    INSERT INTO error_queue (id, tenant_id, run_id, pipeline_id, pipeline_version, stage, step, code, message,
                      field, file, line, record_key, reentry_step, value, state, replay_run_id, origin_id, edited_by, edited_at,
                      created_at, updated_at)
                    VALUES (\(e.id), \(e.tenantId), \(e.runId), \(e.pipelineId), \(e.pipelineVersion), \(e.stage.rawValue),
                      \(e.step), \(e.code), \(e.message), \(e.field), \(e.position.file), \(e.position.line), \(e.position.key),
                      \(e.reentryStep), \(e.sealedValue), \(e.state.rawValue), \(e.replayRunId), \(e.originId), \(e.editedBy),
                      \(e.editedAt?.timeIntervalSince1970), \(e.createdAt.timeIntervalSince1970), \(e.updatedAt.timeIntervalSince1970))
                    ON CONFLICT (id) DO NOTHING
                    """, logger: logger)
            }
        }
    }

    public func errorEntry(id: String) async throws -> ErrorEntry? {
        try await rows("SELECT * FROM error_queue WHERE id = \(id)").first.map(Self.entry)
    }

    /// `head`, the WHERE clause for a tenant, a filter and a page cursor, then `tail` and the limit (nil: none);
    /// every value a bind parameter, `head` and `tail` constant SQL.
    static func errorQuery(_ head: String, tenantId: String, _ f: ErrorQueueFilter, after cursor: PageCursor? = nil,
                           _ tail: String, limit: Int? = nil) -> PostgresQuery {
        let id = cursor?.id ?? ""
        let seconds = cursor?.createdAt.timeIntervalSince1970 ?? 0
        return """
            \(unescaped: head) WHERE tenant_id = \(tenantId) AND (\(f.runId)::text IS NULL OR run_id = \(f.runId))
              AND (\(f.pipelineId)::text IS NULL OR pipeline_id = \(f.pipelineId))
              AND (\(f.state?.rawValue)::text IS NULL OR state = \(f.state?.rawValue))
              AND (\(f.code)::text IS NULL OR code = \(f.code)) AND (\(f.step)::text IS NULL OR step = \(f.step))
              AND (\(f.replayRunId)::text IS NULL OR replay_run_id = \(f.replayRunId))
              AND (\(f.ids == nil) OR id = ANY(\(f.ids ?? [])))
              AND (\(f.search)::text IS NULL
                   OR strpos(lower(message COLLATE "C"), lower(\(f.search)::text COLLATE "C")) > 0
                   OR strpos(lower(code COLLATE "C"), lower(\(f.search)::text COLLATE "C")) > 0
                   OR strpos(lower(COALESCE(field, '') COLLATE "C"), lower(\(f.search)::text COLLATE "C")) > 0
                   OR strpos(lower(COALESCE(step, '') COLLATE "C"), lower(\(f.search)::text COLLATE "C")) > 0)
              AND (\(cursor == nil) OR created_at < \(seconds) OR (created_at = \(seconds) AND id < \(id)))
            \(unescaped: tail) LIMIT \(limit)
            """
    }

    public func errorEntries(tenantId: String, filter: ErrorQueueFilter, limit: Int, after cursor: PageCursor?) async throws
        -> [ErrorEntry] {
        try await rows(Self.errorQuery("SELECT * FROM error_queue", tenantId: tenantId, filter, after: cursor,
                                       "ORDER BY created_at DESC, id DESC", limit: max(limit, 0))).map(Self.entry)
    }

    public func errorGroups(tenantId: String, filter: ErrorQueueFilter) async throws -> [ErrorGroup] {
        let groups = try await rows(Self.errorQuery("SELECT code, step, field, COUNT(*) AS n FROM error_queue",
                                                    tenantId: tenantId, filter, "GROUP BY code, step, field")).map {
            ErrorGroup(code: try $0.text("code"), step: try $0.optionalText("step"), field: try $0.optionalText("field"),
                       count: try $0.int("n"))
        }
        return groups.sorted(by: ErrorGroup.ordered)
    }

    public func updateErrorEntries(tenantId: String, ids: [String], _ change: @escaping @Sendable (ErrorEntry) -> ErrorEntry?)
        async throws -> [ErrorEntry] {
        try await transaction { c in
            var changed: [ErrorEntry] = []
            for id in ids {
                guard let e = try await rows("""
                    SELECT * FROM error_queue WHERE id = \(id) AND tenant_id = \(tenantId) FOR UPDATE
                    """, on: c).first.map(Self.entry), var next = change(e) else { continue }
                next.id = e.id
                next.tenantId = e.tenantId
                try await c.query("""
                    UPDATE error_queue SET run_id = \(next.runId), pipeline_id = \(next.pipelineId),
                      pipeline_version = \(next.pipelineVersion), stage = \(next.stage.rawValue), step = \(next.step),
                      code = \(next.code), message = \(next.message), field = \(next.field), file = \(next.position.file),
                      line = \(next.position.line), record_key = \(next.position.key), reentry_step = \(next.reentryStep),
                      value = \(next.sealedValue), state = \(next.state.rawValue), replay_run_id = \(next.replayRunId),
                      origin_id = \(next.originId), edited_by = \(next.editedBy),
                      edited_at = \(next.editedAt?.timeIntervalSince1970), created_at = \(next.createdAt.timeIntervalSince1970),
                      updated_at = \(next.updatedAt.timeIntervalSince1970)
                    WHERE id = \(id)
                    """, logger: logger)
                changed.append(next)
            }
            return changed
        }
    }
}
