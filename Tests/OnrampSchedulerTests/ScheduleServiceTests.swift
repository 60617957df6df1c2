import Foundation
import OnrampCore
import OnrampScheduler
import OnrampStore
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
        // Two schedulers at 08:25 (down since 08:00): the 08:20 slot fires once.
        await a.tick(now: t0.addingTimeInterval(1500))
        await b.tick(now: t0.addingTimeInterval(1500))
        let runs = await store.runs(tenantId: "acme", pipelineId: nil, state: nil, limit: 10, after: nil)
        #expect(runs.map(\.id) == ["s1-\(Int(t0.timeIntervalSince1970) + 1200)"])
        #expect(runs.first?.trigger == "schedule")
    }
}
