import Foundation
import OnrampCore

/// The in-memory backend: for tests and for trying things out. Nothing survives the process.
public actor MemoryStore: PipelineStore, PipelineTestStore, RunStore, CheckpointStore, AccessStore, ScheduleStore, SecretStore, TemplateStore, UserStore, ConnectionStore, WebhookStore,
    AuditStore, ErrorQueueStore, PushStore, AgentStore {
    var agentsById: [String: AgentRecord] = [:]
    var pushKeysById: [String: PushKeyRecord] = [:]
    var pushBatchesByPipeline: [String: [PushBatchRecord]] = [:]
    var errorEntriesById: [String: ErrorEntry] = [:]
    var pipelineTestsByKey: [String: PipelineTestRecord] = [:]
    private var auditLog: [AuditRecord] = []

    public func appendAudit(_ entry: AuditRecord) {
        var entry = entry
        entry.sequence = Int64(auditLog.count + 1)
        auditLog.append(entry)
    }
    public func auditEntries(tenantId: String?, limit: Int, before: Int64?) -> [AuditRecord] {
        let older = auditLog.prefix(before.map { Int(max(0, min($0 - 1, Int64(auditLog.count)))) } ?? auditLog.count)
        return Array(older.reversed().lazy.filter { tenantId == nil || $0.tenantId == tenantId }.prefix(max(limit, 0)))
    }

    private var connectionsByKey: [String: ConnectionRecord] = [:]

    public func saveConnection(_ c: ConnectionRecord) { connectionsByKey["\(c.tenantId)/\(c.name)"] = c }
    public func connections(tenantId: String) -> [ConnectionRecord] {
        connectionsByKey.values.filter { $0.tenantId == tenantId }.sorted { $0.name < $1.name }
    }
    public func deleteConnection(tenantId: String, name: String) -> Bool { connectionsByKey.removeValue(forKey: "\(tenantId)/\(name)") != nil }

    private var usersById: [String: UserRecord] = [:]
    private var sessionsByHash: [String: SessionRecord] = [:]

    public func createUser(_ user: UserRecord) -> Bool {
        guard !usersById.values.contains(where: { $0.email.lowercased() == user.email.lowercased() }) else { return false }
        usersById[user.id] = user
        return true
    }
    public func user(email: String) -> UserRecord? { usersById.values.first { $0.email.lowercased() == email.lowercased() } }
    public func user(id: String) -> UserRecord? { usersById[id] }
    public func users(tenantId: String?) -> [UserRecord] {
        usersById.values.filter { tenantId == nil || $0.tenantId == tenantId }.sorted { $0.email < $1.email }
    }
    public func createSession(_ session: SessionRecord) { sessionsByHash[session.secretHash] = session }
    public func session(secretHash: String, now: Date) -> SessionRecord? {
        sessionsByHash[secretHash].flatMap { $0.expiresAt > now ? $0 : nil }
    }
    public func deleteSession(secretHash: String) { sessionsByHash[secretHash] = nil }
    public func setPassword(userId: String, passwordHash: String, keeping: String?) -> Bool {
        guard usersById[userId] != nil else { return false }
        usersById[userId]?.passwordHash = passwordHash
        sessionsByHash = sessionsByHash.filter { $0.value.userId != userId || $0.key == keeping }
        return true
    }

    private var webhooksByTenant: [String: WebhookRecord] = [:]

    public func saveWebhook(_ webhook: WebhookRecord) { webhooksByTenant[webhook.tenantId] = webhook }
    public func webhook(tenantId: String) -> WebhookRecord? { webhooksByTenant[tenantId] }
    public func deleteWebhook(tenantId: String) -> Bool { webhooksByTenant.removeValue(forKey: tenantId) != nil }

    private var templatesByName: [String: TemplateRecord] = [:]

    public func saveTemplate(_ template: TemplateRecord) { templatesByName[template.name] = template }
    public func templates() -> [TemplateRecord] { templatesByName.values.sorted { $0.name < $1.name } }
    public func template(name: String) -> TemplateRecord? { templatesByName[name] }

    private var secretsByKey: [String: SecretRecord] = [:]

    public func putSecret(_ secret: SecretRecord) { secretsByKey["\(secret.tenantId)/\(secret.name)"] = secret }
    public func secrets(tenantId: String?) -> [SecretRecord] {
        secretsByKey.values.filter { tenantId == nil || $0.tenantId == tenantId }.sorted { ($0.tenantId, $0.name) < ($1.tenantId, $1.name) }
    }
    public func deleteSecret(tenantId: String, name: String) -> Bool { secretsByKey.removeValue(forKey: "\(tenantId)/\(name)") != nil }
    public func replaceCiphertexts(_ secrets: [SecretRecord]) {
        for s in secrets { secretsByKey["\(s.tenantId)/\(s.name)"]?.ciphertext = s.ciphertext }
    }

    private var schedulesById: [String: ScheduleRecord] = [:]
    private var tenantsById: [String: TenantRecord] = [:]
    private var keysById: [String: APIKeyRecord] = [:]
    private var versions: [String: [PipelineVersion]] = [:]
    private var archived: [String: Date] = [:]
    private var runsById: [String: RunRecord] = [:]
    private var checkpoints: [String: Value] = [:]

    public init() {}

    public func savePipeline(tenantId: String, name: String, document: Value, at: Date) -> PipelineVersion {
        let id = versions.first { $0.value.first?.tenantId == tenantId && $0.value.first?.name == name }?.key ?? UUID().uuidString.lowercased()
        let v = PipelineVersion(pipelineId: id, tenantId: tenantId, name: name, version: (versions[id]?.count ?? 0) + 1, document: document, createdAt: at)
        versions[id, default: []].append(v)
        archived[id] = nil
        return v
    }

    public func pipeline(id: String, version: Int?) -> PipelineVersion? {
        guard let all = versions[id] else { return nil }
        guard let version else { return all.last.map(marked) }
        return all.first { $0.version == version }.map(marked)
    }

    public func pipelines(tenantId: String?) -> [PipelineVersion] {
        versions.values.compactMap(\.last).filter { (tenantId == nil || $0.tenantId == tenantId) && archived[$0.pipelineId] == nil }
            .sorted { $0.name < $1.name }
    }

    public func pipelineVersions(id: String) -> [PipelineVersion] { (versions[id] ?? []).map(marked) }

    public func archivePipeline(id: String, at: Date) -> Bool {
        guard versions[id] != nil, archived[id] == nil else { return false }
        archived[id] = at
        return true
    }

    private func marked(_ v: PipelineVersion) -> PipelineVersion {
        var v = v
        v.archivedAt = archived[v.pipelineId]
        return v
    }

    /// Enqueuing an id that exists is a no-op (schedulers derive run ids from slots).
    public func enqueue(_ run: RunRecord) { if runsById[run.id] == nil { runsById[run.id] = run } }

    public func saveSchedule(_ schedule: ScheduleRecord) {
        var s = schedule
        s.nextDueAt = ScheduleRecord.dueAtOnce
        schedulesById[s.id] = s
    }
    public func schedule(id: String) -> ScheduleRecord? { schedulesById[id] }
    public func schedules(tenantId: String?) -> [ScheduleRecord] {
        schedulesById.values.filter { tenantId == nil || $0.tenantId == tenantId }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }
    public func deleteSchedule(id: String) -> Bool { schedulesById.removeValue(forKey: id) != nil }

    public func markFired(scheduleId: String, slot: Date) -> Bool {
        guard var s = schedulesById[scheduleId], (s.lastFiredAt ?? .distantPast) < slot else { return false }
        s.lastFiredAt = slot
        schedulesById[scheduleId] = s
        return true
    }

    public func dueSchedules(at now: Date, limit: Int) -> [ScheduleRecord] {
        Array(schedulesById.values.filter { $0.enabled && $0.nextDueAt <= now }
            .sorted { ($0.nextDueAt, $0.id) < ($1.nextDueAt, $1.id) }.prefix(limit))
    }

    public func nextScheduleDue() -> Date? { schedulesById.values.filter(\.enabled).map(\.nextDueAt).min() }

    public func setNextDue(_ schedule: ScheduleRecord, at due: Date) {
        guard var s = schedulesById[schedule.id], s.cron == schedule.cron, s.timezone == schedule.timezone,
              s.enabled == schedule.enabled else { return }
        s.nextDueAt = due
        schedulesById[s.id] = s
    }

    public func claim(worker: String, now: Date, policy: ClaimPolicy) -> RunRecord? {
        let active = runsById.values.filter { $0.state == .queued || $0.state == .running }
        let (claimed, changed) = RunLifecycle.claim(active: Array(active), worker: worker, now: now, policy: policy)
        for r in changed { runsById[r.id] = r }
        return claimed
    }

    public func nextHeldBack(after now: Date) -> Date? {
        runsById.values.compactMap { $0.state == .queued ? $0.notBefore : nil }.filter { $0 > now }.min()
    }

    public func heartbeat(_ fence: RunFence, until: Date, now: Date) -> Bool {
        update(fence.runId) { RunLifecycle.heartbeat($0, fence, until: until, now: now) }
    }

    public func progress(_ fence: RunFence, _ progress: Value, now: Date) -> Bool {
        update(fence.runId) { RunLifecycle.progress($0, fence, progress, now: now) }
    }

    public func finish(_ fence: RunFence, state: RunState, summary: Value, at: Date) -> Bool {
        update(fence.runId) { RunLifecycle.finish($0, fence, state: state, summary: summary, at: at) }
    }

    public func release(_ fence: RunFence, failure: String?, summary: Value?, at: Date, maxAttempts: Int) -> Bool {
        update(fence.runId) { RunLifecycle.release($0, fence, failure: failure, summary: summary, at: at, maxAttempts: maxAttempts) }
    }

    public func reset(pipeline: String, fence: RunFence, now: Date) -> Bool {
        whileHolding(fence, now: now) { checkpoints[pipeline] = nil }
    }

    public func commit(pipeline: String, checkpoint: Value, fence: RunFence, now: Date) -> Bool {
        whileHolding(fence, now: now) { checkpoints[pipeline] = checkpoint }
    }

    private func whileHolding(_ fence: RunFence, now: Date, _ write: () -> Void) -> Bool {
        guard let run = runsById[fence.runId], RunLifecycle.holds(run, fence, now: now) else { return false }
        write()
        return true
    }

    private func update(_ id: String, _ transition: (RunRecord) -> RunRecord?) -> Bool {
        guard let run = runsById[id], let next = transition(run) else { return false }
        runsById[id] = next
        return true
    }

    public func requestCancel(runId: String) -> RunRecord? {
        guard let r = runsById[runId] else { return nil }
        runsById[runId] = RunLifecycle.requestCancel(r)
        return runsById[runId]
    }

    public func run(id: String) -> RunRecord? { runsById[id] }

    public func runs(tenantId: String?, pipelineId: String?, state: RunState?, created: Range<Date>?, limit: Int,
                     after cursor: PageCursor?) -> [RunRecord] {
        Array(runsById.values.filter {
            (tenantId == nil || $0.tenantId == tenantId) && (pipelineId == nil || $0.pipelineId == pipelineId)
                && (state == nil || $0.state == state) && (created?.contains($0.createdAt) ?? true)
                && (cursor?.precedes(createdAt: $0.createdAt, id: $0.id) ?? true)
        }.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.prefix(limit))
    }

    public func queue() -> [TenantQueue] { TenantQueue.of(runsById.values) }

    public func claimNotices(owner: String, now: Date, lease: TimeInterval, limit: Int) -> [RunRecord] {
        let due = runsById.values.filter { $0.notice?.state == .pending && $0.notice!.dueAt <= now }
            .sorted { ($0.notice!.dueAt, $0.id) < ($1.notice!.dueAt, $1.id) }.prefix(limit)
        return due.compactMap { run in
            guard let claimed = RunNotice.claim(run, owner: owner, now: now, lease: lease) else { return nil }
            runsById[run.id] = claimed
            return claimed
        }
    }

    public func settleNotice(runId: String, owner: String, attempt: Int, _ outcome: RunNotice.Outcome, at: Date) -> Bool {
        update(runId) { RunNotice.settle($0, owner: owner, attempt: attempt, outcome, at: at) }
    }

    public func createTenant(_ tenant: TenantRecord) -> Bool {
        guard tenantsById[tenant.id] == nil else { return false }
        tenantsById[tenant.id] = tenant
        return true
    }

    public func tenants() -> [TenantRecord] { tenantsById.values.sorted { $0.id < $1.id } }
    public func tenant(id: String) -> TenantRecord? { tenantsById[id] }
    public func createKey(_ key: APIKeyRecord) { keysById[key.id] = key }
    public func key(secretHash: String) -> APIKeyRecord? { keysById.values.first { $0.secretHash == secretHash && $0.revokedAt == nil } }

    public func keys(tenantId: String?) -> [APIKeyRecord] {
        keysById.values.filter { tenantId == nil || $0.tenantId == tenantId }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func revokeKey(id: String, at: Date) -> Bool {
        guard var k = keysById[id], k.revokedAt == nil else { return false }
        k.revokedAt = at
        keysById[id] = k
        return true
    }

    public func load(pipeline: String) -> Value? { checkpoints[pipeline] }
    public func commit(pipeline: String, checkpoint: Value) { checkpoints[pipeline] = checkpoint }
    public func reset(pipeline: String) { checkpoints[pipeline] = nil }
}
