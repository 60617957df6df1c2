import Foundation
import Logging
import OnrampStore
import ServiceLifecycle

/// Fires schedules: for each enabled schedule it asks the cron decision what is due, claims the slot
/// in the store (compare-and-set, so one slot fires once even with several schedulers) and enqueues
/// a run whose id is derived from the slot. It sleeps until the next fire time or until woken.
public final class ScheduleService: Service, Sendable {
    let store: any OnrampStore
    let onEnqueue: @Sendable () -> Void
    let logger: Logger
    private let doorbell = Doorbell()

    public init(store: any OnrampStore, logger: Logger = Logger(label: "onramp.scheduler"), onEnqueue: @escaping @Sendable () -> Void) {
        self.store = store
        self.logger = logger
        self.onEnqueue = onEnqueue
    }

    /// Call when schedules change.
    public func wake() { Task { await doorbell.ring() } }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled, await doorbell.isOpen {
                let next = await tick(now: Date())
                await doorbell.wait(timeout: max(0.05, min(next?.timeIntervalSinceNow ?? 3600, 3600)))
            }
        } onGracefulShutdown: {
            Task { await self.doorbell.close() }
        }
    }

    /// Fires what is due at `now`; returns when to look again.
    @discardableResult
    public func tick(now: Date) async -> Date? {
        var earliest: Date?
        do {
            for s in try await store.schedules(tenantId: nil) where s.enabled {
                guard let cron = try? CronExpression(s.cron), let zone = TimeZone(identifier: s.timezone) else {
                    logger.warning("schedule cannot be evaluated", metadata: ["schedule_id": "\(s.id)"])
                    continue
                }
                let decision = cron.decide(lastFired: s.lastFiredAt, createdAt: s.createdAt, now: now, in: zone)
                if let slot = decision.fire, try await store.markFired(scheduleId: s.id, slot: slot),
                   let pipeline = try await store.pipeline(id: s.pipelineId, version: nil) {
                    let id = "\(s.id)-\(Int(slot.timeIntervalSince1970))"
                    try await store.enqueue(RunRecord(id: id, tenantId: s.tenantId, pipelineId: s.pipelineId, pipelineVersion: pipeline.version,
                                                      trigger: "schedule", createdAt: now))
                    logger.info("schedule fired", metadata: ["schedule_id": "\(s.id)", "run_id": "\(id)", "tenant_id": "\(s.tenantId)"])
                    onEnqueue()
                }
                if let w = decision.wakeAt, earliest.map({ w < $0 }) ?? true { earliest = w }
            }
        } catch {
            logger.error("schedule evaluation failed", metadata: ["error": "\(error)"])
            return now.addingTimeInterval(30)
        }
        return earliest
    }
}
