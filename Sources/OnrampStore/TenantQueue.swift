import Foundation

/// One tenant's part of the run queue: what autoscaling and alerts read from `/metrics`.
public struct TenantQueue: Sendable, Equatable {
    public var tenantId: String
    public var queued: Int
    public var running: Int
    /// When the oldest of the queued runs was queued; nil when none is.
    public var oldestQueuedAt: Date?

    public init(tenantId: String, queued: Int, running: Int, oldestQueuedAt: Date?) {
        self.tenantId = tenantId
        self.queued = queued
        self.running = running
        self.oldestQueuedAt = oldestQueuedAt
    }

    /// The tenants of `runs` that have queued or running ones, by tenant id.
    public static func of(_ runs: some Sequence<RunRecord>) -> [TenantQueue] {
        var byTenant: [String: TenantQueue] = [:]
        for run in runs where !run.state.isFinished {
            var q = byTenant[run.tenantId] ?? TenantQueue(tenantId: run.tenantId, queued: 0, running: 0, oldestQueuedAt: nil)
            if run.state == .queued {
                q.queued += 1
                q.oldestQueuedAt = min(q.oldestQueuedAt ?? run.createdAt, run.createdAt)
            } else {
                q.running += 1
            }
            byTenant[run.tenantId] = q
        }
        return byTenant.values.sorted { $0.tenantId < $1.tenantId }
    }
}

extension RunStore {
    /// Queued runs across all tenants.
    public func queueDepth() async throws -> Int { try await queue().reduce(0) { $0 + $1.queued } }
}
