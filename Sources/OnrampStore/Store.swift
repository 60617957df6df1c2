import Foundation
import OnrampCore

/// Pipelines and their versions. An archived pipeline keeps its versions (runs refer to them) but
/// leaves the list; saving it again brings it back with a new version.
public protocol PipelineStore: Sendable {
    /// Saves a new version of the tenant's pipeline `name` (creating it on first save, un-archiving it); returns it.
    func savePipeline(tenantId: String, name: String, document: Value, at: Date) async throws -> PipelineVersion
    /// The latest version (nil) or the one asked for, archived or not.
    func pipeline(id: String, version: Int?) async throws -> PipelineVersion?
    /// The latest version of each pipeline that is not archived, by name.
    func pipelines(tenantId: String?) async throws -> [PipelineVersion]
    /// Every version of a pipeline, oldest first (empty when there is no such pipeline).
    func pipelineVersions(id: String) async throws -> [PipelineVersion]
    /// Archives a pipeline; false when there is no such pipeline or it is archived already.
    func archivePipeline(id: String, at: Date) async throws -> Bool
}

/// The run queue and history. `claim` is the only way a run starts: it takes the oldest queued run
/// (or a running one whose lease expired: its worker died) within the per-tenant concurrency limit,
/// never while another run of the same pipeline is live. Every transition is `RunLifecycle`'s.
public protocol RunStore: Sendable {
    /// Adds a run; an id that exists already is left as it is (schedulers derive ids from slots).
    func enqueue(_ run: RunRecord) async throws
    func claim(worker: String, now: Date, policy: ClaimPolicy) async throws -> RunRecord?
    /// The soonest `notBefore` after `now` of a queued run: when an idle worker next has something to claim.
    func nextHeldBack(after now: Date) async throws -> Date?
    /// Extends the lease; false when the fence no longer holds the run (it was taken over or expired).
    func heartbeat(_ fence: RunFence, until: Date, now: Date) async throws -> Bool
    /// Stores the running attempt's progress; false when the fence no longer holds the run.
    func progress(_ fence: RunFence, _ progress: Value, now: Date) async throws -> Bool
    /// Records the outcome; false when the fence no longer holds the run.
    func finish(_ fence: RunFence, state: RunState, summary: Value, at: Date) async throws -> Bool
    /// Gives the run back (`RunLifecycle.release`); false when the fence no longer holds the run.
    func release(_ fence: RunFence, failure: String?, summary: Value?, at: Date, maxAttempts: Int) async throws -> Bool
    /// Commits a pipeline's checkpoint only while `fence` holds the run, in one transaction; false (and
    /// nothing written) otherwise.
    func commit(pipeline: String, checkpoint: Value, fence: RunFence, now: Date) async throws -> Bool
    /// Removes a pipeline's checkpoint (a full resync) only while `fence` holds the run; false otherwise.
    func reset(pipeline: String, fence: RunFence, now: Date) async throws -> Bool
    func requestCancel(runId: String) async throws -> RunRecord?
    func run(id: String) async throws -> RunRecord?
    /// Newest first by (created_at, id), a total order: the page after `cursor` (nil: the first page); with
    /// `created`, only runs created in that range (from inclusive, before exclusive).
    func runs(tenantId: String?, pipelineId: String?, state: RunState?, created: Range<Date>?, limit: Int,
              after cursor: PageCursor?) async throws -> [RunRecord]
    /// The tenants with queued or running runs, by tenant id.
    func queue() async throws -> [TenantQueue]
    /// Claims up to `limit` finished runs whose notice is due (`RunNotice.claim`), oldest due first.
    func claimNotices(owner: String, now: Date, lease: TimeInterval, limit: Int) async throws -> [RunRecord]
    /// Settles a claimed notice (`RunNotice.settle`); false when the claim no longer holds.
    func settleNotice(runId: String, owner: String, attempt: Int, _ outcome: RunNotice.Outcome, at: Date) async throws -> Bool
}

extension RunStore {
    public func claim(worker: String, now: Date, lease: TimeInterval, perTenantLimit: Int) async throws -> RunRecord? {
        try await claim(worker: worker, now: now, policy: ClaimPolicy(lease: lease, perTenantLimit: perTenantLimit))
    }

    public func runs(tenantId: String?, pipelineId: String?, state: RunState?, limit: Int, after cursor: PageCursor?)
        async throws -> [RunRecord] {
        try await runs(tenantId: tenantId, pipelineId: pipelineId, state: state, created: nil, limit: limit, after: cursor)
    }
}

/// Everything the control plane keeps; one contract test suite runs against every backend.
public typealias OnrampStore = PipelineStore & PipelineTestStore & RunStore & CheckpointStore & AccessStore & ScheduleStore & SecretStore & TemplateStore & UserStore & ConnectionStore & AuditStore & WebhookStore
    & ErrorQueueStore & PushStore & AgentStore
