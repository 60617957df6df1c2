import Foundation
import OnrampCore

/// Pipelines and their versions.
public protocol PipelineStore: Sendable {
    /// Saves a new version of the tenant's pipeline `name` (creating it on first save); returns it.
    func savePipeline(tenantId: String, name: String, document: Value, at: Date) async throws -> PipelineVersion
    func pipeline(id: String, version: Int?) async throws -> PipelineVersion?
    func pipelines(tenantId: String?) async throws -> [PipelineVersion]
}

/// The run queue and history. `claim` is the only way a run starts: it takes the oldest queued run
/// (or a running one whose lease expired: its worker died) within the per-tenant concurrency limit.
public protocol RunStore: Sendable {
    /// Adds a run; an id that exists already is left as it is (schedulers derive ids from slots).
    func enqueue(_ run: RunRecord) async throws
    func claim(worker: String, now: Date, lease: TimeInterval, perTenantLimit: Int) async throws -> RunRecord?
    /// Extends the lease; false when the worker no longer holds the run (it was taken over).
    func heartbeat(runId: String, worker: String, until: Date) async throws -> Bool
    /// Records the outcome; false when the worker no longer holds the run.
    func finish(runId: String, worker: String, state: RunState, summary: Value, at: Date) async throws -> Bool
    func requestCancel(runId: String) async throws -> RunRecord?
    func run(id: String) async throws -> RunRecord?
    /// Newest first; `before` pages by creation time.
    func runs(tenantId: String?, pipelineId: String?, state: RunState?, limit: Int, before: Date?) async throws -> [RunRecord]
    func queueDepth() async throws -> Int
}

/// Everything the control plane keeps; one contract test suite runs against every backend.
public typealias OnrampStore = PipelineStore & RunStore & CheckpointStore & AccessStore & ScheduleStore & SecretStore & TemplateStore & UserStore & ConnectionStore & AuditStore
