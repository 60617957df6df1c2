import Foundation
import OnrampCore
import OnrampStore
import Testing

extension StoreContractTests {
    /// Every way a run ends leaves its webhooks pending; a notice is claimed by one notifier at a time, retried when
    /// due, and settled only by the claim that holds it.
    @Test(arguments: Backend.allCases)
    func everyEndLeavesANoticeThatOneNotifierAtATimeDelivers(_ backend: Backend) async throws {
        let store = try await backend.make()
        let policy = ClaimPolicy(lease: 10, perTenantLimit: 5, maxAttempts: 1)
        // Recorded by its worker.
        try await store.enqueue(run("done"))
        let done = try #require(try await store.claim(worker: "w", now: t0, policy: policy)?.fence)
        #expect(try await store.claimNotices(owner: "n1", now: t0, lease: 60, limit: 10).isEmpty)
        #expect(try await store.finish(done, state: .succeeded, summary: ["records_read": 1], at: t0.addingTimeInterval(1)))
        // Cancelled while queued.
        try await store.enqueue(run("cancelled", at: 1))
        _ = try await store.requestCancel(runId: "cancelled")
        // Given up after its only attempt's worker died (the lease ran out).
        try await store.enqueue(run("died", at: 2))
        _ = try await store.claim(worker: "dead", now: t0, policy: policy)
        _ = try await store.claim(worker: "w2", now: t0.addingTimeInterval(11), policy: policy)
        #expect(try await store.run(id: "died")?.state == .failed)

        let now = t0.addingTimeInterval(3600)
        let claimed = try await store.claimNotices(owner: "n1", now: now, lease: 60, limit: 10)
        #expect(Set(claimed.map(\.id)) == ["done", "cancelled", "died"])
        #expect(claimed.allSatisfy { $0.notice?.owner == "n1" && $0.notice?.attempts == 1 })
        // Held: a second notifier gets nothing until the lease runs out.
        #expect(try await store.claimNotices(owner: "n2", now: now.addingTimeInterval(59), lease: 60, limit: 10).isEmpty)

        #expect(try await store.settleNotice(runId: "done", owner: "n1", attempt: 1, .init(sent: ["pipeline"]), at: now))
        let delivered = try #require(try await store.run(id: "done")?.notice)
        #expect(delivered.state == .delivered && delivered.sent == ["pipeline"] && delivered.settledAt == now)
        // A settle by a claim that does not hold it (another owner, an old attempt, settled already) is refused.
        #expect(try await store.settleNotice(runId: "done", owner: "n1", attempt: 1, .init(sent: []), at: now) == false)
        #expect(try await store.settleNotice(runId: "died", owner: "n2", attempt: 1, .init(sent: []), at: now) == false)

        let retry = now.addingTimeInterval(120)
        #expect(try await store.settleNotice(runId: "died", owner: "n1", attempt: 1,
                                             .init(sent: ["tenant"], failure: "pipeline: answered 503", retryAt: retry), at: now))
        #expect(try await store.settleNotice(runId: "cancelled", owner: "n1", attempt: 1,
                                             .init(sent: [], failure: "tenant: answered 410"), at: now))
        #expect(try await store.run(id: "cancelled")?.notice?.state == .abandoned)
        #expect(try await store.run(id: "cancelled")?.notice?.lastError == "tenant: answered 410")
        // The lease of the other claims ran out, but the retry is not due yet.
        #expect(try await store.claimNotices(owner: "n2", now: retry.addingTimeInterval(-1), lease: 60, limit: 10).isEmpty)
        let again = try await store.claimNotices(owner: "n2", now: retry, lease: 60, limit: 10)
        #expect(again.map(\.id) == ["died"] && again.first?.notice?.attempts == 2 && again.first?.notice?.sent == ["tenant"])
        // An old claim cannot settle over the new one.
        #expect(try await store.settleNotice(runId: "died", owner: "n1", attempt: 1, .init(sent: ["pipeline"]), at: retry) == false)
        #expect(try await store.settleNotice(runId: "died", owner: "n2", attempt: 2, .init(sent: ["pipeline"]), at: retry))
        #expect(try await store.run(id: "died")?.notice?.sent == ["tenant", "pipeline"])
        #expect(try await store.claimNotices(owner: "n3", now: retry.addingTimeInterval(1e6), lease: 60, limit: 10).isEmpty)
    }
}
