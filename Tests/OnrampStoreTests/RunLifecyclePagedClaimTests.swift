import Foundation
import OnrampStore
import Testing

/// A claim read page by page (as the SQL stores do) answers exactly as one over every active run.
struct RunLifecyclePagedClaimTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33 | state << 31
        }
    }

    @Test(arguments: [1, 2, 3, 7, 50])
    func pagesAnswerAsTheWholeQueue(_ pageSize: Int) {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var random = Generator(state: UInt64(pageSize))
        for round in 0..<400 {
            var active: [RunRecord] = []
            for i in 0..<Int.random(in: 0...25, using: &random) {
                var run = RunRecord(id: "r\(i)", tenantId: "t\(Int.random(in: 0..<3, using: &random))",
                                    pipelineId: "p\(Int.random(in: 0..<6, using: &random))", pipelineVersion: 1,
                                    trigger: "manual", createdAt: now.addingTimeInterval(Double(Int.random(in: -50...0, using: &random))))
                if Int.random(in: 0..<3, using: &random) == 0 {
                    run.state = .running
                    run.leaseOwner = "w"
                    run.attempts = Int.random(in: 1...3, using: &random)
                    // Live, or lost (its lease expired), some on their last attempt.
                    run.leaseExpiresAt = now.addingTimeInterval(Bool.random(using: &random) ? 30 : -1)
                }
                active.append(run)
            }
            let policy = ClaimPolicy(lease: 30, perTenantLimit: Int.random(in: 1...2, using: &random), maxAttempts: 3)
            let whole = RunLifecycle.claim(active: active, worker: "me", now: now, policy: policy)
            let running = active.filter { $0.state == .running }
            let queued = active.filter { $0.state == .queued }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            var offset = 0
            var paged: (claimed: RunRecord?, changed: [RunRecord])?
            while paged == nil {
                let page = Array(queued.dropFirst(offset).prefix(pageSize))
                paged = RunLifecycle.claim(running: running, queuedPage: page, pageSize: pageSize, worker: "me", now: now,
                                           policy: policy)
                offset += pageSize
                #expect(offset <= queued.count + pageSize, "round \(round): paged past the queue")
                if offset > queued.count + pageSize { break }
            }
            #expect(paged?.claimed == whole.claimed, "round \(round)")
            #expect(paged?.changed.map(\.id).sorted() == whole.changed.map(\.id).sorted(), "round \(round)")
        }
    }
}
