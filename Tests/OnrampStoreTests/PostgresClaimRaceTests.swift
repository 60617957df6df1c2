import Foundation
import OnrampStore
import OnrampStorePostgres
import Testing

/// Two stores (two pools, as two processes would have) on one schema, claiming at once, never claim a run twice.
@Suite(.enabled(if: PostgresTestStore.available || PostgresTestStore.required,
                "needs ONRAMP_TEST_POSTGRES (source scripts/postgres-test.sh)"))
struct PostgresClaimRaceTests {
    @Test func twoStoresClaimingConcurrentlyClaimEachRunOnce() async throws {
        let schema = PostgresTestStore.freshSchema()
        let a = try await PostgresTestStore.make(schema: schema)
        let b = try await PostgresTestStore.make(schema: schema)
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        for i in 0..<50 {
            try await a.enqueue(RunRecord(id: "r\(i)", tenantId: "t\(i % 5)", pipelineId: "p\(i)", pipelineVersion: 1,
                                          trigger: "manual", createdAt: t0.addingTimeInterval(Double(i))))
        }
        let policy = ClaimPolicy(lease: 30, perTenantLimit: 100)
        let claims = try await withThrowingTaskGroup(of: [String].self) { group in
            for (s, store) in [a, b].enumerated() {
                for w in 0..<4 {
                    group.addTask {
                        var mine: [String] = []
                        while let run = try await store.claim(worker: "w\(s)-\(w)", now: t0.addingTimeInterval(100), policy: policy) {
                            mine.append(run.id)
                        }
                        return mine
                    }
                }
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(claims.count == 50)
        #expect(Set(claims).count == 50)
        #expect(try await b.queueDepth() == 0)
        let running = try await a.runs(tenantId: nil, pipelineId: nil, state: .running, limit: 100, after: nil)
        #expect(running.count == 50)
    }
}
