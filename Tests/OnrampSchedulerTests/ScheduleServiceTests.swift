import Foundation
import OnrampCore
import OnrampScheduler
import OnrampStore
import Synchronization
import Testing

@Suite struct ScheduleServiceTests {
    @Test func firesDueSlotsOnceAcrossSchedulers() async throws {
        let store = MemoryStore()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z
        let p = await store.savePipeline(tenantId: "acme", name: "p", document: ["version": 1], at: t0)
        await store.saveSchedule(ScheduleRecord(id: "s1", tenantId: "acme", pipelineId: p.pipelineId, cron: "*/10 * * * *",
                                                timezone: "UTC", enabled: true, createdAt: t0))
        await store.saveSchedule(ScheduleRecord(id: "off", tenantId: "acme", pipelineId: p.pipelineId, cron: "* * * * *",
                                                timezone: "UTC", enabled: false, createdAt: t0))
        let a = ScheduleService(store: store) {}
        let b = ScheduleService(store: store) {}
        // Nothing due yet; the next look is at 08:10.
        #expect(await a.tick(now: t0.addingTimeInterval(60)) == t0.addingTimeInterval(600))
        // Two schedulers at once at 08:25 (down since 08:00): the 08:20 slot fires once.
        async let first = a.tick(now: t0.addingTimeInterval(1500))
        async let second = b.tick(now: t0.addingTimeInterval(1500))
        #expect(await [first, second] == [t0.addingTimeInterval(1800), t0.addingTimeInterval(1800)])
        let runs = try await store.runs(tenantId: "acme", pipelineId: nil, state: nil, limit: 10, after: nil)
        #expect(runs.map(\.id) == ["s1-\(Int(t0.timeIntervalSince1970) + 1200)"])
        #expect(runs.first?.trigger == "schedule")
    }

    /// More due schedules than one batch: each fires once in one tick, and the next look is the earliest next slot.
    @Test func aTickFiresEveryDueScheduleAcrossBatches() async throws {
        let store = MemoryStore()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let p = await store.savePipeline(tenantId: "acme", name: "p", document: ["version": 1], at: t0)
        for i in 0..<130 {
            await store.saveSchedule(ScheduleRecord(id: "s\(i)", tenantId: "acme", pipelineId: p.pipelineId,
                                                    cron: i % 2 == 0 ? "*/5 * * * *" : "0 * * * *", timezone: "UTC",
                                                    enabled: true, createdAt: t0.addingTimeInterval(-7200)))
        }
        await store.saveSchedule(ScheduleRecord(id: "bad", tenantId: "acme", pipelineId: p.pipelineId, cron: "61 * * * *",
                                                timezone: "UTC", enabled: true, createdAt: t0))
        let fired = Shared(0)
        let scheduler = ScheduleService(store: store, batch: 50, concurrency: 4) { fired.withLock { $0 += 1 } }
        let now = t0.addingTimeInterval(1)
        #expect(await scheduler.tick(now: now) == t0.addingTimeInterval(300))
        #expect(fired.withLock { $0 } == 130)
        #expect(try await store.runs(tenantId: "acme", pipelineId: nil, state: .queued, limit: 500, after: nil).count == 130)
        // The broken cron is looked at again in an hour, not on every tick.
        #expect(await store.schedule(id: "bad")?.nextDueAt == now.addingTimeInterval(3600))
        #expect(await scheduler.tick(now: now.addingTimeInterval(1)) == t0.addingTimeInterval(300))
        #expect(fired.withLock { $0 } == 130)
    }
}

/// A value several tasks change.
final class Shared<T: Sendable>: Sendable {
    private let value: Mutex<T>
    init(_ value: T) { self.value = Mutex(value) }
    func withLock<R>(_ body: (inout T) -> R) -> R { value.withLock { body(&$0) } }
}
