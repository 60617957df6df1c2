import Foundation
import Logging
import OnrampCore
import OnrampStore
import PostgresNIO

/// The run queue: every transition is `RunLifecycle`'s or `RunNotice`'s, applied to rows locked in the transaction.
extension PostgresStore {
    static func run(_ row: PostgresRandomAccessRow) throws -> RunRecord {
        RunRecord(id: try row.text("id"), tenantId: try row.text("tenant_id"), pipelineId: try row.text("pipeline_id"),
                  pipelineVersion: try row.int("pipeline_version"), trigger: try row.text("trigger"),
                  fullResync: try row.bool("full_resync"), state: RunState(rawValue: try row.text("state")) ?? .failed,
                  createdAt: try row.time("created_at"), startedAt: try row.optionalTime("started_at"),
                  finishedAt: try row.optionalTime("finished_at"), leaseOwner: try row.optionalText("lease_owner"),
                  leaseExpiresAt: try row.optionalTime("lease_expires_at"), attempts: try row.int("attempts"),
                  cancelRequested: try row.bool("cancel_requested"),
                  attemptErrors: json(try row.text("attempt_errors"))?.arrayValue?.compactMap(\.stringValue) ?? [],
                  summary: json(try row.optionalText("summary")), origin: try row.optionalText("origin"),
                  progress: json(try row.optionalText("progress")),
                  notice: try row.optionalText("notice").flatMap { try? JSONDecoder().decode(RunNotice.self, from: Data($0.utf8)) },
                  notBefore: try row.optionalTime("not_before"))
    }

    /// The columns of a run that a transition may change, as JSON text where SQLite keeps JSON text.
    struct RunColumns {
        let summary: String?, attemptErrors: String, progress: String?, notice: String?, noticeDue: Double?
        init(_ r: RunRecord) {
            summary = r.summary.map { JSONWriter.string($0) }
            attemptErrors = JSONWriter.string(.array(r.attemptErrors.map(Value.string)))
            progress = r.progress.map { JSONWriter.string($0) }
            notice = r.notice.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) }
            noticeDue = r.notice.flatMap { $0.state == .pending ? $0.dueAt.timeIntervalSince1970 : nil }
        }
    }

    public func enqueue(_ r: RunRecord) async throws {
        let j = RunColumns(r)
        try await client.query("""
            INSERT INTO runs (id, tenant_id, pipeline_id, pipeline_version, trigger, full_resync, state, created_at, started_at,
              finished_at, lease_owner, lease_expires_at, attempts, cancel_requested, summary, attempt_errors, origin, progress,
              notice, notice_due, not_before)
            VALUES (\(r.id), \(r.tenantId), \(r.pipelineId), \(r.pipelineVersion), \(r.trigger), \(r.fullResync),
              \(r.state.rawValue), \(r.createdAt.timeIntervalSince1970), \(r.startedAt?.timeIntervalSince1970),
              \(r.finishedAt?.timeIntervalSince1970), \(r.leaseOwner), \(r.leaseExpiresAt?.timeIntervalSince1970),
              \(r.attempts), \(r.cancelRequested), \(j.summary), \(j.attemptErrors), \(r.origin), \(j.progress), \(j.notice),
              \(j.noticeDue), \(r.notBefore?.timeIntervalSince1970))
            ON CONFLICT (id) DO NOTHING
            """, logger: logger)
        try await announce(.runs)
    }

    /// Stores a run changed by a transition.
    static func save(_ r: RunRecord, _ c: PostgresConnection, _ logger: Logger) async throws {
        let j = RunColumns(r)
        try await c.query("""
            UPDATE runs SET tenant_id = \(r.tenantId), pipeline_id = \(r.pipelineId), pipeline_version = \(r.pipelineVersion),
              trigger = \(r.trigger), full_resync = \(r.fullResync), state = \(r.state.rawValue),
              created_at = \(r.createdAt.timeIntervalSince1970), started_at = \(r.startedAt?.timeIntervalSince1970),
              finished_at = \(r.finishedAt?.timeIntervalSince1970), lease_owner = \(r.leaseOwner),
              lease_expires_at = \(r.leaseExpiresAt?.timeIntervalSince1970), attempts = \(r.attempts),
              cancel_requested = \(r.cancelRequested), summary = \(j.summary), attempt_errors = \(j.attemptErrors),
              origin = \(r.origin), progress = \(j.progress), notice = \(j.notice), notice_due = \(j.noticeDue),
              not_before = \(r.notBefore?.timeIntervalSince1970)
            WHERE id = \(r.id)
            """, logger: logger)
    }

    public func claim(worker: String, now: Date, policy: ClaimPolicy) async throws -> RunRecord? {
        try await transaction { c in
            // Claims (in every process on this schema) queue behind one another: each sees the previous one's rows.
            try await c.query("SELECT pg_advisory_xact_lock(hashtext('onramp.claim.' || current_schema()))", logger: logger)
            let running = try await rows("SELECT * FROM runs WHERE state = 'running'", on: c).map(Self.run)
            var after = (-Double.greatestFiniteMagnitude, "")
            while true {
                let page = try await rows("""
                    SELECT * FROM runs WHERE state = 'queued' AND (created_at, id) > (\(after.0), \(after.1))
                    ORDER BY created_at, id LIMIT \(Self.claimPage)
                    """, on: c).map(Self.run)
                if let (claimed, changed) = RunLifecycle.claim(running: running, queuedPage: page, pageSize: Self.claimPage,
                                                               worker: worker, now: now, policy: policy) {
                    for r in changed { try await Self.save(r, c, logger) }
                    return claimed
                }
                after = (page[page.count - 1].createdAt.timeIntervalSince1970, page[page.count - 1].id)
            }
        }
    }

    public func nextHeldBack(after now: Date) async throws -> Date? {
        try await rows("""
            SELECT MIN(not_before) AS due FROM runs WHERE state = 'queued' AND not_before > \(now.timeIntervalSince1970)
            """).first.flatMap { try $0.optionalTime("due") }
    }

    /// Queued runs a claim reads at a time.
    static let claimPage = 200

    /// Applies a transition to one run, its row locked; false when it refused (or there is no such run).
    /// `announcing`: told to every process when the transition committed.
    func update(_ id: String, announcing topic: StoreTopic? = nil,
                _ transition: @Sendable (RunRecord) -> RunRecord?) async throws -> Bool {
        try await transaction { c in
            guard let run = try await rows("SELECT * FROM runs WHERE id = \(id) FOR UPDATE", on: c).first.map(Self.run),
                  let next = transition(run) else { return false }
            try await Self.save(next, c, logger)
            if let topic { try await Self.announce(topic, on: c, logger) }
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
        try await update(fence.runId, announcing: .runs) { RunLifecycle.finish($0, fence, state: state, summary: summary, at: at) }
    }

    public func release(_ fence: RunFence, failure: String?, summary: Value?, at: Date, maxAttempts: Int) async throws -> Bool {
        try await update(fence.runId, announcing: .runs) {
            RunLifecycle.release($0, fence, failure: failure, summary: summary, at: at, maxAttempts: maxAttempts)
        }
    }

    public func requestCancel(runId: String) async throws -> RunRecord? {
        _ = try await update(runId) { RunLifecycle.requestCancel($0) }
        return try await run(id: runId)
    }

    public func reset(pipeline: String, fence: RunFence, now: Date) async throws -> Bool {
        try await whileHolding(fence, now: now) { c in
            _ = try await c.query("DELETE FROM checkpoints WHERE pipeline = \(pipeline)", logger: logger)
        }
    }

    public func commit(pipeline: String, checkpoint: Value, fence: RunFence, now: Date) async throws -> Bool {
        try await whileHolding(fence, now: now) { c in try await Self.upsertCheckpoint(pipeline, checkpoint, c, logger) }
    }

    /// Runs `write` in the transaction that locks the fence's run and checks the fence holds; false otherwise.
    func whileHolding(_ fence: RunFence, now: Date, _ write: (PostgresConnection) async throws -> Void) async throws -> Bool {
        try await transaction { c in
            guard let run = try await rows("SELECT * FROM runs WHERE id = \(fence.runId) FOR UPDATE", on: c).first.map(Self.run),
                  RunLifecycle.holds(run, fence, now: now) else { return false }
            try await write(c)
            return true
        }
    }

    public func run(id: String) async throws -> RunRecord? {
        try await rows("SELECT * FROM runs WHERE id = \(id)").first.map(Self.run)
    }

    public func runs(tenantId: String?, pipelineId: String?, state: RunState?, created: Range<Date>?, limit: Int,
                     after cursor: PageCursor?) async throws -> [RunRecord] {
        // The cursor's run's stored time when it exists (exact), else the cursor's own.
        let id = cursor?.id ?? ""
        let seconds = cursor?.createdAt.timeIntervalSince1970 ?? 0
        let from = created?.lowerBound.timeIntervalSince1970
        let before = created?.upperBound.timeIntervalSince1970
        return try await rows("""
            SELECT * FROM runs
            WHERE (\(tenantId)::text IS NULL OR tenant_id = \(tenantId))
              AND (\(pipelineId)::text IS NULL OR pipeline_id = \(pipelineId))
              AND (\(state?.rawValue)::text IS NULL OR state = \(state?.rawValue))
              AND (\(from)::float8 IS NULL OR (created_at >= \(from) AND created_at < \(before)))
              AND (\(cursor == nil) OR created_at < COALESCE((SELECT created_at FROM runs WHERE id = \(id)), \(seconds))
                   OR (created_at = COALESCE((SELECT created_at FROM runs WHERE id = \(id)), \(seconds)) AND id < \(id)))
            ORDER BY created_at DESC, id DESC LIMIT \(max(limit, 0))
            """).map(Self.run)
    }

    public func queue() async throws -> [TenantQueue] {
        try await rows("""
            SELECT tenant_id, SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END) AS queued,
                   SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END) AS running,
                   MIN(CASE WHEN state = 'queued' THEN created_at END) AS oldest
            FROM runs WHERE state IN ('queued', 'running') GROUP BY tenant_id ORDER BY tenant_id
            """).map { row in
            TenantQueue(tenantId: try row.text("tenant_id"), queued: try row.int("queued"), running: try row.int("running"),
                        oldestQueuedAt: try row.optionalTime("oldest"))
        }
    }

    public func claimNotices(owner: String, now: Date, lease: TimeInterval, limit: Int) async throws -> [RunRecord] {
        try await transaction { c in
            // Rows another notifier is claiming right now are skipped, not waited for.
            let due = try await rows("""
                SELECT * FROM runs WHERE notice_due <= \(now.timeIntervalSince1970) ORDER BY notice_due, id
                LIMIT \(max(limit, 0)) FOR UPDATE SKIP LOCKED
                """, on: c).map(Self.run)
            var claimed: [RunRecord] = []
            for run in due {
                guard let next = RunNotice.claim(run, owner: owner, now: now, lease: lease) else { continue }
                try await Self.save(next, c, logger)
                claimed.append(next)
            }
            return claimed
        }
    }

    public func settleNotice(runId: String, owner: String, attempt: Int, _ outcome: RunNotice.Outcome, at: Date)
        async throws -> Bool {
        try await update(runId) { RunNotice.settle($0, owner: owner, attempt: attempt, outcome, at: at) }
    }
}
