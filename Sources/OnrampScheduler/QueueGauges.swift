import Foundation
import Metrics
import OnrampStore

/// The run queue as gauges, refreshed on each `/metrics` read: `onramp_queue_depth`, `onramp_runs_running` and
/// `onramp_queue_oldest_age_seconds` in total and, when `perTenant`, as `onramp_tenant_…{tenant="…"}`. A tenant whose
/// runs all ended loses its series. Every node reads the one store, so every node reports the same values.
public actor QueueGauges {
    static let names = ["queue_depth", "runs_running", "queue_oldest_age_seconds"]
    let store: any RunStore
    let perTenant: Bool
    private var shown: Set<String> = []

    public init(store: any RunStore, perTenant: Bool) {
        self.store = store
        self.perTenant = perTenant
    }

    public func refresh(now: Date = Date()) async throws {
        let queue = try await store.queue()
        let age = { (q: TenantQueue) in q.oldestQueuedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0 }
        Self.record("onramp_", [], queue.reduce(0) { $0 + $1.queued }, queue.reduce(0) { $0 + $1.running },
                    queue.map(age).max() ?? 0)
        guard perTenant else { return }
        for q in queue { Self.record("onramp_tenant_", [("tenant", q.tenantId)], q.queued, q.running, age(q)) }
        let current = Set(queue.map(\.tenantId))
        for tenant in shown.subtracting(current) {
            for name in Self.names { Gauge(label: "onramp_tenant_" + name, dimensions: [("tenant", tenant)]).destroy() }
        }
        shown = current
    }

    static func record(_ prefix: String, _ dimensions: [(String, String)], _ queued: Int, _ running: Int, _ age: Double) {
        Gauge(label: prefix + names[0], dimensions: dimensions).record(queued)
        Gauge(label: prefix + names[1], dimensions: dimensions).record(running)
        Gauge(label: prefix + names[2], dimensions: dimensions).record(age)
    }
}
