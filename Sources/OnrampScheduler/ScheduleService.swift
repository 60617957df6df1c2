import Foundation
import Logging
import OnrampStore
import ServiceLifecycle
import Synchronization

/// Fires schedules: for each schedule due by the store's index it asks the cron decision what is due, enqueues a run
/// whose id is derived from the slot (so a slot enqueued twice is one run), marks the slot fired (compare-and-set) and
/// records when the schedule is next due. It sleeps until the earliest of those or until woken. On a shared store only the leader fires; the others stand by and
/// try to lead every `standbyInterval`.
public final class ScheduleService: Service, Sendable {
    let store: any OnrampStore
    let onEnqueue: @Sendable () -> Void
    let logger: Logger
    let shared: (any SharedStore)?
    let standbyInterval: Duration
    let batch: Int
    let concurrency: Int
    private let doorbell = Doorbell()
    private let leading = Mutex(false)

    public init(store: any OnrampStore, logger: Logger = Logger(label: "onramp.scheduler"), shared: (any SharedStore)? = nil,
                standbyInterval: Duration = .seconds(5), batch: Int = 500, concurrency: Int = 8,
                onEnqueue: @escaping @Sendable () -> Void) {
        self.store = store
        self.logger = logger
        self.shared = shared
        self.standbyInterval = standbyInterval
        self.batch = max(1, batch)
        self.concurrency = max(1, concurrency)
        self.onEnqueue = onEnqueue
    }

    /// Call when schedules change.
    public func wake() { Task { await doorbell.ring() } }

    /// True while this process fires the schedules (always, on an embedded store, once running).
    public var isLeader: Bool { leading.withLock { $0 } }

    public func run() async throws {
        await withGracefulShutdownHandler {
            guard let shared else { return await fire() }
            while !Task.isCancelled, await doorbell.isOpen {
                do {
                    let led = try await shared.lead("scheduler", check: standbyInterval) { await self.fire() }
                    if led { logger.info("no longer the scheduler leader") }
                } catch {
                    logger.warning("cannot reach the store to lead the scheduler", metadata: ["error": "\(error)"])
                }
                leading.withLock { $0 = false }
                try? await Task.sleep(for: standbyInterval)
            }
        } onGracefulShutdown: {
            Task { await self.doorbell.close() }
        }
    }

    /// Fires what is due, again and again, until shut down or cancelled.
    private func fire() async {
        leading.withLock { $0 = true }
        if shared != nil { logger.info("became the scheduler leader") }
        while !Task.isCancelled, await doorbell.isOpen {
            let next = await tick(now: Date())
            await doorbell.wait(timeout: max(0.05, min(next?.timeIntervalSinceNow ?? 3600, 3600)))
        }
    }

    /// Fires what is due at `now` (read from the store's due index, `batch` at a time, `concurrency` schedules at
    /// once); returns when to look again.
    @discardableResult
    public func tick(now: Date) async -> Date? {
        do {
            // A schedule saved during the tick is due again at once: bounded, so such saves cannot keep it here.
            for _ in 0..<1000 {
                let due = try await store.dueSchedules(at: now, limit: batch)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var rest = due.makeIterator()
                    for _ in 0..<concurrency { if let s = rest.next() { group.addTask { try await self.evaluate(s, now: now) } } }
                    while try await group.next() != nil {
                        if let s = rest.next() { group.addTask { try await self.evaluate(s, now: now) } }
                    }
                }
                if due.count < batch { break }
            }
            return try await store.nextScheduleDue()
        } catch {
            logger.error("schedule evaluation failed", metadata: ["error": "\(error)"])
            return now.addingTimeInterval(30)
        }
    }

    /// Fires `s` when a slot is due and records when it is next due.
    private func evaluate(_ s: ScheduleRecord, now: Date) async throws {
        guard let cron = try? CronExpression(s.cron), let zone = TimeZone(identifier: s.timezone) else {
            logger.warning("schedule cannot be evaluated", metadata: ["schedule_id": "\(s.id)"])
            return try await store.setNextDue(s, at: now.addingTimeInterval(3600))
        }
        let decision = cron.decide(lastFired: s.lastFiredAt, createdAt: s.createdAt, now: now, in: zone)
        if let slot = decision.fire {
            // Enqueued first, then marked: a scheduler that dies between the two leaves the slot due, and the next
            // one enqueues the same run id again, which is a no-op. A slot whose pipeline is gone is just marked.
            let id = "\(s.id)-\(Int(slot.timeIntervalSince1970))"
            let pipeline = try await store.pipeline(id: s.pipelineId, version: nil)
            if let pipeline {
                try await store.enqueue(RunRecord(id: id, tenantId: s.tenantId, pipelineId: s.pipelineId,
                                                  pipelineVersion: pipeline.version, trigger: "schedule", createdAt: now))
            }
            if try await store.markFired(scheduleId: s.id, slot: slot), pipeline != nil {
                logger.info("schedule fired", metadata: ["schedule_id": "\(s.id)", "run_id": "\(id)",
                                                         "tenant_id": "\(s.tenantId)"])
                onEnqueue()
            }
        }
        try await store.setNextDue(s, at: decision.wakeAt ?? .distantFuture)
    }
}
