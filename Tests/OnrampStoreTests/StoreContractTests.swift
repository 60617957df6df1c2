import Foundation
import OnrampCore
import OnrampStore
import OnrampStorePostgres
import OnrampStoreSQLite
import Testing

/// The contract every store backend passes: one test body, run against each backend.
@Suite struct StoreContractTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case memory, sqliteFile, postgres
        var testDescription: String { rawValue }

        /// Every backend; postgres only when its server is there or CI requires it (then a missing one fails).
        static var allCases: [Backend] {
            PostgresTestStore.available || PostgresTestStore.required ? [.memory, .sqliteFile, .postgres] : [.memory, .sqliteFile]
        }

        func make() async throws -> any OnrampStore {
            switch self {
            case .memory: return MemoryStore()
            case .sqliteFile:
                return try SQLiteStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("onramp-store-\(UUID().uuidString)/onramp.sqlite").path)
            case .postgres: return try await PostgresTestStore.make()
            }
        }
    }

    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func run(_ id: String, tenant: String = "acme", pipeline: String? = nil, at offset: TimeInterval = 0) -> RunRecord {
        RunRecord(id: id, tenantId: tenant, pipelineId: pipeline ?? "p-\(id)", pipelineVersion: 1, trigger: "manual",
                  createdAt: t0.addingTimeInterval(offset))
    }

    @Test(arguments: Backend.allCases)
    func everySaveIsANewVersion(_ backend: Backend) async throws {
        let store = try await backend.make()
        let v1 = try await store.savePipeline(tenantId: "acme", name: "orders", document: ["version": 1, "name": "orders"], at: t0)
        let v2 = try await store.savePipeline(tenantId: "acme", name: "orders", document: ["version": 1, "name": "orders", "batch_size": 10], at: t0)
        _ = try await store.savePipeline(tenantId: "globex", name: "orders", document: ["version": 1], at: t0)
        #expect(v1.pipelineId == v2.pipelineId && v1.version == 1 && v2.version == 2)
        #expect(try await store.pipeline(id: v1.pipelineId, version: nil)?.document["batch_size"] == .number(10))
        #expect(try await store.pipeline(id: v1.pipelineId, version: 1)?.document["batch_size"] == nil)
        #expect(try await store.pipelines(tenantId: "acme").map(\.version) == [2])
        #expect(try await store.pipelines(tenantId: nil).count == 2)
    }

    @Test(arguments: Backend.allCases)
    func archivedPipelinesLeaveTheListKeepTheirVersionsAndComeBackWhenSaved(_ backend: Backend) async throws {
        let store = try await backend.make()
        let v1 = try await store.savePipeline(tenantId: "acme", name: "orders", document: ["version": 1, "name": "orders"], at: t0)
        _ = try await store.savePipeline(tenantId: "acme", name: "orders", document: ["version": 1, "name": "orders", "batch_size": 5], at: t0)
        #expect(try await store.pipelineVersions(id: v1.pipelineId).map(\.version) == [1, 2])
        #expect(try await store.pipelineVersions(id: "nope").isEmpty)
        #expect(try await store.archivePipeline(id: v1.pipelineId, at: t0.addingTimeInterval(60)))
        #expect(try await store.archivePipeline(id: v1.pipelineId, at: t0) == false)
        #expect(try await store.archivePipeline(id: "nope", at: t0) == false)
        #expect(try await store.pipelines(tenantId: "acme").isEmpty)
        #expect(try await store.pipeline(id: v1.pipelineId, version: 1)?.archivedAt == t0.addingTimeInterval(60))
        #expect(try await store.pipelineVersions(id: v1.pipelineId).allSatisfy { $0.archivedAt != nil })
        let v3 = try await store.savePipeline(tenantId: "acme", name: "orders", document: ["version": 1, "name": "orders"], at: t0)
        #expect(v3.pipelineId == v1.pipelineId && v3.version == 3 && v3.archivedAt == nil)
        #expect(try await store.pipelines(tenantId: "acme").map(\.version) == [3])
        #expect(try await store.pipeline(id: v1.pipelineId, version: nil)?.archivedAt == nil)
    }

    @Test(arguments: Backend.allCases)
    func theQueuePerTenantCountsQueuedAndRunningAndTheOldestQueued(_ backend: Backend) async throws {
        let store = try await backend.make()
        #expect(try await store.queue().isEmpty)
        try await store.enqueue(run("a1", at: 1))
        try await store.enqueue(run("a2", at: 2))
        try await store.enqueue(run("a3", at: 3))
        try await store.enqueue(run("b1", tenant: "globex", at: 4))
        let first = try #require(try await store.claim(worker: "w", now: t0, lease: 30, perTenantLimit: 2))
        #expect(first.id == "a1")
        #expect(try await store.queue() == [
            TenantQueue(tenantId: "acme", queued: 2, running: 1, oldestQueuedAt: t0.addingTimeInterval(2)),
            TenantQueue(tenantId: "globex", queued: 1, running: 0, oldestQueuedAt: t0.addingTimeInterval(4)),
        ])
        #expect(try await store.queueDepth() == 3)
        let second = try #require(try await store.claim(worker: "w", now: t0, lease: 30, perTenantLimit: 2))
        #expect(try await store.finish(try #require(first.fence), state: .succeeded, summary: [:], at: t0))
        #expect(try await store.finish(try #require(second.fence), state: .failed, summary: [:], at: t0))
        #expect(second.id == "a2")
        #expect(try await store.queue() == [
            TenantQueue(tenantId: "acme", queued: 1, running: 0, oldestQueuedAt: t0.addingTimeInterval(3)),
            TenantQueue(tenantId: "globex", queued: 1, running: 0, oldestQueuedAt: t0.addingTimeInterval(4)),
        ])
    }

    @Test(arguments: Backend.allCases)
    func claimsOldestFirstWithinTheTenantLimit(_ backend: Backend) async throws {
        let store = try await backend.make()
        try await store.enqueue(run("a1", at: 1))
        try await store.enqueue(run("a2", at: 2))
        try await store.enqueue(run("b1", tenant: "globex", at: 3))
        #expect(try await store.queueDepth() == 3)
        let first = try await store.claim(worker: "w1", now: t0, lease: 30, perTenantLimit: 1)
        #expect(first?.id == "a1" && first?.state == .running && first?.attempts == 1)
        // acme is at its limit: the next claim skips a2 for globex's b1.
        #expect(try await store.claim(worker: "w2", now: t0, lease: 30, perTenantLimit: 1)?.id == "b1")
        #expect(try await store.claim(worker: "w3", now: t0, lease: 30, perTenantLimit: 1) == nil)
        #expect(try await store.finish(first!.fence!, state: .succeeded, summary: ["records_read": 3], at: t0))
        #expect(try await store.claim(worker: "w3", now: t0, lease: 30, perTenantLimit: 1)?.id == "a2")
        #expect(try await store.run(id: "a1")?.summary?["records_read"] == .number(3))
    }

    @Test(arguments: Backend.allCases)
    func aRunHeldBackIsNotClaimedBeforeItsTimeAndDoesNotHoldUpOthers(_ backend: Backend) async throws {
        let store = try await backend.make()
        var held = run("held")
        held.notBefore = t0.addingTimeInterval(10)
        try await store.enqueue(held)
        try await store.enqueue(run("later", at: 1))
        #expect(try await store.run(id: "held")?.notBefore == t0.addingTimeInterval(10))
        #expect(try await store.nextHeldBack(after: t0) == t0.addingTimeInterval(10))
        // The older run is held back; the newer one goes first.
        #expect(try await store.claim(worker: "w1", now: t0.addingTimeInterval(2), lease: 30, perTenantLimit: 4)?.id == "later")
        #expect(try await store.claim(worker: "w1", now: t0.addingTimeInterval(9), lease: 30, perTenantLimit: 4) == nil)
        #expect(try await store.claim(worker: "w1", now: t0.addingTimeInterval(10), lease: 30, perTenantLimit: 4)?.id == "held")
        #expect(try await store.nextHeldBack(after: t0) == nil)
    }

    @Test(arguments: Backend.allCases)
    func anExpiredLeaseIsTakenOverAndTheOldWorkerIsFencedOut(_ backend: Backend) async throws {
        let store = try await backend.make()
        try await store.enqueue(run("r1"))
        let dead = try #require(try await store.claim(worker: "dead", now: t0, lease: 30, perTenantLimit: 4)?.fence)
        #expect(try await store.heartbeat(dead, until: t0.addingTimeInterval(60), now: t0))
        #expect(try await store.claim(worker: "w2", now: t0.addingTimeInterval(59), lease: 30, perTenantLimit: 4) == nil)
        let taken = try await store.claim(worker: "w2", now: t0.addingTimeInterval(61), lease: 30, perTenantLimit: 4)
        #expect(taken?.id == "r1" && taken?.attempts == 2 && taken?.leaseOwner == "w2")
        #expect(try await store.heartbeat(dead, until: t0.addingTimeInterval(200), now: t0.addingTimeInterval(62)) == false)
        #expect(try await store.finish(dead, state: .failed, summary: [:], at: t0.addingTimeInterval(62)) == false)
        #expect(try await store.run(id: "r1")?.attemptErrors.count == 1)
        #expect(try await store.finish(taken!.fence!, state: .succeeded, summary: [:], at: t0.addingTimeInterval(62)))
    }

    @Test(arguments: Backend.allCases)
    func checkpointCommitsAreFencedByTheLease(_ backend: Backend) async throws {
        let store = try await backend.make()
        try await store.enqueue(run("r1", pipeline: "orders"))
        let first = try #require(try await store.claim(worker: "w1", now: t0, lease: 30, perTenantLimit: 4)?.fence)
        #expect(try await store.commit(pipeline: "orders", checkpoint: ["n": 1], fence: first, now: t0.addingTimeInterval(1)))
        // The lease expired: the old holder's commit is refused even before anyone took the run over.
        #expect(try await store.commit(pipeline: "orders", checkpoint: ["n": 2], fence: first, now: t0.addingTimeInterval(31)) == false)
        let second = try #require(try await store.claim(worker: "w2", now: t0.addingTimeInterval(31), lease: 30, perTenantLimit: 4)?.fence)
        #expect(try await store.commit(pipeline: "orders", checkpoint: ["n": 3], fence: first, now: t0.addingTimeInterval(32)) == false)
        #expect(try await store.load(pipeline: "orders") == ["n": 1])
        #expect(try await store.commit(pipeline: "orders", checkpoint: ["n": 4], fence: second, now: t0.addingTimeInterval(32)))
        #expect(try await store.load(pipeline: "orders") == ["n": 4])
        // A full resync's reset is fenced the same way.
        #expect(try await store.reset(pipeline: "orders", fence: first, now: t0.addingTimeInterval(33)) == false)
        #expect(try await store.load(pipeline: "orders") == ["n": 4])
        #expect(try await store.reset(pipeline: "orders", fence: second, now: t0.addingTimeInterval(33)))
        #expect(try await store.load(pipeline: "orders") == nil)
    }

    @Test(arguments: Backend.allCases)
    func twoRunsOfOnePipelineNeverRunAtOnce(_ backend: Backend) async throws {
        let store = try await backend.make()
        try await store.enqueue(run("r1", pipeline: "orders", at: 1))
        try await store.enqueue(run("r2", pipeline: "orders", at: 2))
        try await store.enqueue(run("r3", pipeline: "invoices", at: 3))
        let first = try #require(try await store.claim(worker: "w1", now: t0, lease: 30, perTenantLimit: 4))
        #expect(first.id == "r1")
        // r2 waits for r1 (same pipeline); r3 goes ahead.
        #expect(try await store.claim(worker: "w2", now: t0, lease: 30, perTenantLimit: 4)?.id == "r3")
        #expect(try await store.claim(worker: "w3", now: t0, lease: 30, perTenantLimit: 4) == nil)
        #expect(try await store.finish(first.fence!, state: .succeeded, summary: [:], at: t0))
        #expect(try await store.claim(worker: "w3", now: t0, lease: 30, perTenantLimit: 4)?.id == "r2")
    }

    @Test(arguments: Backend.allCases)
    func aRunGetsMaxAttemptsThenFailsWithEveryReason(_ backend: Backend) async throws {
        let store = try await backend.make()
        try await store.enqueue(run("r1"))
        let policy = ClaimPolicy(lease: 30, perTenantLimit: 4, maxAttempts: 3)
        // Attempt 1 dies (the worker reports it), attempt 2 is lost (lease expires), attempt 3 dies too.
        let a1 = try #require(try await store.claim(worker: "w", now: t0, policy: policy)?.fence)
        #expect(try await store.release(a1, failure: "worker process died: signal 4", summary: nil, at: t0, maxAttempts: 3))
        #expect(try await store.run(id: "r1")?.state == .queued)
        _ = try #require(try await store.claim(worker: "w", now: t0, policy: policy))
        let a3 = try #require(try await store.claim(worker: "w", now: t0.addingTimeInterval(31), policy: policy)?.fence)
        #expect(a3.attempt == 3)
        #expect(try await store.release(a3, failure: "worker process died: signal 9", summary: ["log_path": "x"], at: t0.addingTimeInterval(32), maxAttempts: 3))
        let ended = try #require(try await store.run(id: "r1"))
        #expect(ended.state == .failed && ended.attemptErrors.count == 3 && ended.summary?["log_path"] == "x")
        let reason = ended.summary?["failure_reason"]?.stringValue ?? ""
        #expect(reason.contains("signal 4") && reason.contains("expired") && reason.contains("signal 9"))
        #expect(try await store.claim(worker: "w", now: t0.addingTimeInterval(40), policy: policy) == nil)
        // A run lost on its last attempt ends failed at the next claim instead of running a fourth time.
        try await store.enqueue(run("r2"))
        let one = ClaimPolicy(lease: 30, perTenantLimit: 4, maxAttempts: 1)
        _ = try await store.claim(worker: "w", now: t0, policy: one)
        #expect(try await store.claim(worker: "w", now: t0.addingTimeInterval(31), policy: one) == nil)
        #expect(try await store.run(id: "r2")?.state == .failed)
        // A drain hands the run back without spending an attempt.
        try await store.enqueue(run("r3"))
        let d = try #require(try await store.claim(worker: "w", now: t0.addingTimeInterval(50), policy: one)?.fence)
        #expect(try await store.release(d, failure: nil, summary: nil, at: t0.addingTimeInterval(50), maxAttempts: 1))
        #expect(try await store.claim(worker: "w", now: t0.addingTimeInterval(51), policy: one)?.attempts == 1)
    }

    @Test(arguments: Backend.allCases)
    func cancelAndHistoryPaging(_ backend: Backend) async throws {
        let store = try await backend.make()
        for i in 0..<5 { try await store.enqueue(run("r\(i)", at: Double(i))) }
        let cancelled = try await store.requestCancel(runId: "r0")
        #expect(cancelled?.state == .cancelled && cancelled?.finishedAt != nil)
        #expect(cancelled?.summary?["failure_reason"] == "cancelled before it started")
        _ = try await store.claim(worker: "w", now: t0, lease: 30, perTenantLimit: 4)
        #expect(try await store.requestCancel(runId: "r1")?.cancelRequested == true)
        let page1 = try await store.runs(tenantId: "acme", pipelineId: nil, state: nil, limit: 2, after: nil)
        #expect(page1.map(\.id) == ["r4", "r3"])
        let page2 = try await store.runs(tenantId: "acme", pipelineId: nil, state: nil, limit: 2, after: page1.last.map(PageCursor.init(after:)))
        #expect(page2.map(\.id) == ["r2", "r1"])
        #expect(try await store.runs(tenantId: nil, pipelineId: nil, state: .cancelled, limit: 10, after: nil).map(\.id) == ["r0"])
        #expect(try await store.runs(tenantId: "globex", pipelineId: nil, state: nil, limit: 10, after: nil).isEmpty)
        // A creation range: from inclusive, before exclusive, paged like the rest.
        let range = t0.addingTimeInterval(1)..<t0.addingTimeInterval(4)
        let first = try await store.runs(tenantId: "acme", pipelineId: nil, state: nil, created: range, limit: 2, after: nil)
        #expect(first.map(\.id) == ["r3", "r2"])
        let rest = try await store.runs(tenantId: "acme", pipelineId: nil, state: nil, created: range, limit: 2,
                                        after: first.last.map(PageCursor.init(after:)))
        #expect(rest.map(\.id) == ["r1"])
        #expect(try await store.runs(tenantId: "acme", pipelineId: nil, state: .cancelled, created: range, limit: 10,
                                     after: nil).isEmpty, "r0 is cancelled but before the range")
    }

    /// Runs created at the same instant (and within one second) are neither skipped nor repeated:
    /// the cursor orders by (created_at, id), and survives its opaque token.
    @Test(arguments: Backend.allCases)
    func pagingVisitsEveryRunOnceWhenTimesTie(_ backend: Backend) async throws {
        let store = try await backend.make()
        let instant = t0.addingTimeInterval(0.123_456)
        for id in ["b", "d", "a", "c"] {
            try await store.enqueue(RunRecord(id: id, tenantId: "acme", pipelineId: "p1", pipelineVersion: 1, trigger: "api", createdAt: instant))
        }
        try await store.enqueue(run("e", at: 0.5))
        try await store.enqueue(run("older", at: -0.25))
        var seen: [String] = []
        var cursor: PageCursor?
        for _ in 0..<10 {
            let page = try await store.runs(tenantId: "acme", pipelineId: nil, state: nil, limit: 2, after: cursor)
            seen += page.map(\.id)
            guard page.count == 2, let last = page.last else { break }
            cursor = try PageCursor(token: PageCursor(after: last).token)
        }
        #expect(seen == ["e", "d", "c", "b", "a", "older"])
        #expect(throws: OnrampError.self) { try PageCursor(token: "not-a-cursor") }
        #expect(throws: OnrampError.self) { try PageCursor(token: "2026-12-01T10:00:00Z") }
    }

    @Test(arguments: Backend.allCases)
    func checkpoints(_ backend: Backend) async throws {
        let store = try await backend.make()
        #expect(try await store.load(pipeline: "p") == nil)
        try await store.commit(pipeline: "p", checkpoint: ["files": ["a.csv": "1:2"]])
        try await store.commit(pipeline: "p", checkpoint: ["files": ["a.csv": "1:2", "b.csv": "3:4"]])
        #expect(try await store.load(pipeline: "p")?["files"]?.objectValue?.count == 2)
        try await store.reset(pipeline: "p")
        #expect(try await store.load(pipeline: "p") == nil)
    }

    @Test(arguments: Backend.allCases)
    func tenantsAndKeys(_ backend: Backend) async throws {
        let store = try await backend.make()
        #expect(try await store.createTenant(TenantRecord(id: "acme", name: "ACME", createdAt: t0)))
        #expect(try await store.createTenant(TenantRecord(id: "acme", name: "Again", createdAt: t0)) == false)
        #expect(try await store.tenant(id: "acme")?.name == "ACME")
        try await store.createKey(APIKeyRecord(id: "k1", name: "ci", role: .tenantAdmin, tenantId: "acme", secretHash: "h1", createdAt: t0))
        try await store.createKey(APIKeyRecord(id: "k2", name: "ops", role: .platformAdmin, tenantId: nil, secretHash: "h2", createdAt: t0))
        #expect(try await store.key(secretHash: "h1")?.role == .tenantAdmin)
        #expect(try await store.keys(tenantId: "acme").map(\.id) == ["k1"])
        #expect(try await store.revokeKey(id: "k1", at: t0))
        #expect(try await store.key(secretHash: "h1") == nil)
        #expect(try await store.revokeKey(id: "k1", at: t0) == false)
    }

    @Test(arguments: Backend.allCases)
    func dueSchedulesComeFromTheirNextDueTimeAndASaveMakesOneDueAtOnce(_ backend: Backend) async throws {
        let store = try await backend.make()
        for (id, enabled) in [("a", true), ("b", true), ("off", false)] {
            try await store.saveSchedule(ScheduleRecord(id: id, tenantId: "acme", pipelineId: "p-\(id)", cron: "* * * * *",
                                                        timezone: "UTC", enabled: enabled, createdAt: t0))
        }
        #expect(try await store.dueSchedules(at: t0, limit: 10).map(\.id) == ["a", "b"])
        #expect(try await store.nextScheduleDue() == ScheduleRecord.dueAtOnce)
        let a = try #require(try await store.schedule(id: "a"))
        try await store.setNextDue(a, at: t0.addingTimeInterval(60))
        try await store.setNextDue(try #require(try await store.schedule(id: "b")), at: t0.addingTimeInterval(30))
        #expect(try await store.dueSchedules(at: t0, limit: 10).isEmpty)
        #expect(try await store.nextScheduleDue() == t0.addingTimeInterval(30))
        #expect(try await store.dueSchedules(at: t0.addingTimeInterval(60), limit: 10).map(\.id) == ["b", "a"])
        #expect(try await store.dueSchedules(at: t0.addingTimeInterval(60), limit: 1).map(\.id) == ["b"])
        #expect(try await store.schedule(id: "a")?.nextDueAt == t0.addingTimeInterval(60))
        // Saved while a scheduler held the old cron: its next due time for the old cron is not written.
        var changed = a
        changed.cron = "0 * * * *"
        try await store.saveSchedule(changed)
        try await store.setNextDue(a, at: t0.addingTimeInterval(3600))
        #expect(try await store.dueSchedules(at: t0, limit: 10).map(\.id) == ["a"])
        try await store.setNextDue(changed, at: t0.addingTimeInterval(3600))
        #expect(try await store.dueSchedules(at: t0, limit: 10).isEmpty)
        #expect(try await store.deleteSchedule(id: "b"))
        #expect(try await store.deleteSchedule(id: "a"))
        #expect(try await store.nextScheduleDue() == nil, "only a disabled schedule is left")
    }

    @Test(arguments: Backend.allCases)
    func schedulesFireEachSlotOnce(_ backend: Backend) async throws {
        let store = try await backend.make()
        let s = ScheduleRecord(id: "s1", tenantId: "acme", pipelineId: "p1", cron: "@hourly", timezone: "Europe/Berlin", enabled: true, createdAt: t0)
        try await store.saveSchedule(s)
        var changed = s
        changed.cron = "0 6 * * *"
        try await store.saveSchedule(changed)
        #expect(try await store.schedule(id: "s1")?.cron == "0 6 * * *")
        let slot = t0.addingTimeInterval(3600)
        #expect(try await store.markFired(scheduleId: "s1", slot: slot))
        #expect(try await store.markFired(scheduleId: "s1", slot: slot) == false)
        #expect(try await store.markFired(scheduleId: "s1", slot: t0) == false)
        #expect(try await store.schedule(id: "s1")?.lastFiredAt == slot)
        // A run id derived from the slot is enqueued once however often it is offered.
        try await store.enqueue(run("s1-\(Int(slot.timeIntervalSince1970))"))
        try await store.enqueue(run("s1-\(Int(slot.timeIntervalSince1970))"))
        #expect(try await store.queueDepth() == 1)
        #expect(try await store.schedules(tenantId: "globex").isEmpty)
        #expect(try await store.deleteSchedule(id: "s1"))
        #expect(try await store.schedule(id: "s1") == nil)
    }

    @Test(arguments: Backend.allCases)
    func secretsKeepOnlyCiphertext(_ backend: Backend) async throws {
        let store = try await backend.make()
        try await store.putSecret(SecretRecord(tenantId: "acme", name: "TAXMAN_KEY", ciphertext: Data([1, 2, 3]), updatedAt: t0))
        try await store.putSecret(SecretRecord(tenantId: "acme", name: "TAXMAN_KEY", ciphertext: Data([4, 5]), updatedAt: t0))
        try await store.putSecret(SecretRecord(tenantId: "globex", name: "X", ciphertext: Data([9]), updatedAt: t0,
                                               origins: ["https://api.taxman.example", "postgres://db.globex:5432"]))
        #expect(try await store.secrets(tenantId: "acme").map(\.ciphertext) == [Data([4, 5])])
        #expect(try await store.secrets(tenantId: "acme").first?.origins == [])
        #expect(try await store.secrets(tenantId: nil).count == 2)
        try await store.replaceCiphertexts([SecretRecord(tenantId: "globex", name: "X", ciphertext: Data([7]), updatedAt: t0)])
        #expect(try await store.secrets(tenantId: "globex").first?.ciphertext == Data([7]))
        // Re-sealing keeps the origins; they change only with the value.
        #expect(try await store.secrets(tenantId: "globex").first?.origins == ["https://api.taxman.example", "postgres://db.globex:5432"])
        #expect(try await store.deleteSecret(tenantId: "acme", name: "TAXMAN_KEY"))
        #expect(try await store.secrets(tenantId: "acme").isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func templatesByName(_ backend: Backend) async throws {
        let store = try await backend.make()
        try await store.saveTemplate(TemplateRecord(name: "erp-csv", description: "a", document: ["version": 1], updatedAt: t0))
        try await store.saveTemplate(TemplateRecord(name: "erp-csv", description: "b", document: ["version": 1, "name": "x"], updatedAt: t0))
        try await store.saveTemplate(TemplateRecord(name: "api", description: "c", document: ["version": 1], updatedAt: t0))
        #expect(try await store.templates().map(\.name) == ["api", "erp-csv"])
        #expect(try await store.template(name: "erp-csv")?.description == "b")
        #expect(try await store.template(name: "nope") == nil)
    }

    @Test(arguments: Backend.allCases)
    func usersAndSessions(_ backend: Backend) async throws {
        let store = try await backend.make()
        #expect(try await store.createUser(UserRecord(id: "u1", email: "Ops@Acme.test", role: .tenantAdmin, tenantId: "acme", passwordHash: "h", createdAt: t0)))
        #expect(try await store.createUser(UserRecord(id: "u2", email: "ops@acme.test", role: .tenantViewer, tenantId: "acme", passwordHash: "h", createdAt: t0)) == false)
        #expect(try await store.user(email: "OPS@ACME.TEST")?.id == "u1")
        #expect(try await store.users(tenantId: "acme").count == 1)
        try await store.createSession(SessionRecord(secretHash: "s", userId: "u1", csrfToken: "c", expiresAt: t0.addingTimeInterval(60)))
        #expect(try await store.session(secretHash: "s", now: t0)?.userId == "u1")
        #expect(try await store.session(secretHash: "s", now: t0.addingTimeInterval(61)) == nil)
        try await store.deleteSession(secretHash: "s")
        #expect(try await store.session(secretHash: "s", now: t0) == nil)
        for hash in ["a", "b"] {
            try await store.createSession(SessionRecord(secretHash: hash, userId: "u1", csrfToken: "c", expiresAt: t0.addingTimeInterval(60)))
        }
        #expect(try await store.setPassword(userId: "u1", passwordHash: "h2", keeping: "b"))
        #expect(try await store.user(id: "u1")?.passwordHash == "h2")
        #expect(try await store.session(secretHash: "a", now: t0) == nil)
        #expect(try await store.session(secretHash: "b", now: t0) != nil)
        #expect(try await store.setPassword(userId: "nobody", passwordHash: "h", keeping: nil) == false)
    }

    @Test(arguments: Backend.allCases)
    func webhooksPerTenant(_ backend: Backend) async throws {
        let store = try await backend.make()
        #expect(try await store.webhook(tenantId: "acme") == nil)
        let hook = WebhookRecord(tenantId: "acme", url: "https://hooks.acme.test/onramp", secret: "${secret:HOOK}",
                                 events: [.failed, .succeededWithErrors], enabled: true, updatedAt: t0)
        try await store.saveWebhook(hook)
        var changed = hook
        changed.events = [.failed]
        changed.enabled = false
        try await store.saveWebhook(changed)
        try await store.saveWebhook(WebhookRecord(tenantId: "globex", url: "https://g.test", secret: "${secret:G}", events: [],
                                                  enabled: true, updatedAt: t0))
        #expect(try await store.webhook(tenantId: "acme") == changed)
        #expect(try await store.deleteWebhook(tenantId: "acme"))
        #expect(try await store.deleteWebhook(tenantId: "acme") == false)
        #expect(try await store.webhook(tenantId: "acme") == nil)
        #expect(try await store.webhook(tenantId: "globex") != nil)
    }

    @Test(arguments: Backend.allCases)
    func connectionsPerTenant(_ backend: Backend) async throws {
        let store = try await backend.make()
        try await store.saveConnection(ConnectionRecord(tenantId: "acme", name: "taxman", connector: "taxman", config: ["api_key": "${secret:K}"], updatedAt: t0))
        try await store.saveConnection(ConnectionRecord(tenantId: "acme", name: "taxman", connector: "taxman", config: ["api_key": "${secret:K2}"], updatedAt: t0))
        try await store.saveConnection(ConnectionRecord(tenantId: "globex", name: "erp", connector: "csv", config: [:], updatedAt: t0))
        #expect(try await store.connections(tenantId: "acme").map(\.config) == [["api_key": "${secret:K2}"]])
        #expect(try await store.deleteConnection(tenantId: "acme", name: "taxman"))
        #expect(try await store.connections(tenantId: "acme").isEmpty)
        #expect(try await store.connections(tenantId: "globex").count == 1)
    }

    @Test(arguments: Backend.allCases)
    func auditLogPagesNewestFirstPerTenant(_ backend: Backend) async throws {
        let store = try await backend.make()
        func entry(_ id: String, _ tenant: String?, at offset: TimeInterval) -> AuditRecord {
            AuditRecord(id: id, at: t0.addingTimeInterval(offset), tenantId: tenant, actorKind: tenant == nil ? .apiKey : .user,
                        actorId: "actor-\(id)", actorName: "ann@acme.test", action: "put", resourceType: "secret",
                        resourceId: tenant == nil ? nil : "S\(id)", status: 200)
        }
        // Appended order is the log's order, whatever the clocks said (a3 and a2 share a time, p1 is earlier).
        for e in [entry("a1", "acme", at: 1), entry("g1", "globex", at: 2), entry("a2", "acme", at: 3), entry("a3", "acme", at: 3),
                  entry("p1", nil, at: 0)] {
            try await store.appendAudit(e)
        }
        let all = try await store.auditEntries(tenantId: nil, limit: 10, before: nil)
        #expect(all.map(\.id) == ["p1", "a3", "a2", "g1", "a1"])
        #expect(all.map(\.sequence) == all.map(\.sequence).sorted(by: >) && Set(all.map(\.sequence)).count == 5)
        let first = try await store.auditEntries(tenantId: "acme", limit: 2, before: nil)
        #expect(first.map(\.id) == ["a3", "a2"])
        let cursor = AuditCursor.encode(first[1].sequence)
        #expect(AuditCursor.decode(cursor) == first[1].sequence)
        #expect(try await store.auditEntries(tenantId: "acme", limit: 2, before: AuditCursor.decode(cursor)).map(\.id) == ["a1"])
        #expect(try await store.auditEntries(tenantId: "acme", limit: 2, before: first[0].sequence).map(\.id) == ["a2", "a1"])
        #expect(try await store.auditEntries(tenantId: "initech", limit: 10, before: nil).isEmpty)
        var stored = try #require(try await store.auditEntries(tenantId: "globex", limit: 1, before: nil).first)
        stored.sequence = 0
        #expect(stored == entry("g1", "globex", at: 2))
        var platform = try #require(try await store.auditEntries(tenantId: nil, limit: 1, before: nil).first)
        platform.sequence = 0
        #expect(platform == entry("p1", nil, at: 0))
        #expect(AuditCursor.decode("not a cursor") == nil && AuditCursor.decode("") == nil)
    }

    @Test func sqliteKeepsEverythingAcrossReopen() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-store-\(UUID().uuidString)/onramp.sqlite").path
        do {
            let store = try SQLiteStore(path: path)
            try await store.enqueue(run("r1"))
            try await store.commit(pipeline: "p", checkpoint: ["n": 1])
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.run(id: "r1")?.state == .queued)
        #expect(try await reopened.load(pipeline: "p") == ["n": 1])
    }
}
