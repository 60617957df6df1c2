import Foundation
import OnrampCore
import OnrampStore
import Testing

extension StoreContractTests {
    @Test(arguments: Backend.allCases)
    func agentsEnrolOnceAndTakeRunRequestsWithTheirHeartbeats(_ backend: Backend) async throws {
        let store = try await backend.make()
        let agent = AgentRecord(id: "a1", tenantId: "acme", pipelineId: "p1", name: "warehouse", enrolmentHash: "t1",
                                enrolmentExpiresAt: t0.addingTimeInterval(3600), createdAt: t0)
        try await store.createAgent(agent)
        try await store.createAgent(AgentRecord(id: "a2", tenantId: "acme", pipelineId: "p2", name: "other", enrolmentHash: "t2",
                                                enrolmentExpiresAt: t0, createdAt: t0.addingTimeInterval(1)))
        #expect(try await store.agent(id: "a1") == agent)
        #expect(try await store.agent(enrolmentHash: "t1")?.id == "a1")
        #expect(try await store.agents(pipelineId: "p1").map(\.id) == ["a1"])
        #expect(try await store.enrolAgent(id: "a1", enrolmentHash: "t2", keyId: "k1") == false)
        #expect(try await store.enrolAgent(id: "a1", enrolmentHash: "t1", keyId: "k1"))
        #expect(try await store.enrolAgent(id: "a1", enrolmentHash: "t1", keyId: "k2") == false)  // used
        #expect(try await store.agent(enrolmentHash: "t1") == nil)
        #expect(try await store.agent(keyId: "k1")?.id == "a1")
        #expect(try await store.agentHeartbeat(id: "a1", status: ["spool": ["segments": 2]], at: t0.addingTimeInterval(5)) == false)
        #expect(try await store.requestAgentRun(id: "a1"))
        #expect(try await store.requestAgentRun(id: "nope") == false)
        #expect(try await store.agentHeartbeat(id: "a1", status: ["spool": ["segments": 0]], at: t0.addingTimeInterval(9)) == true)
        #expect(try await store.agentHeartbeat(id: "a1", status: [:], at: t0.addingTimeInterval(10)) == false)
        #expect(try await store.agentHeartbeat(id: "nope", status: [:], at: t0) == nil)
        let seen = try await store.agent(id: "a1")
        #expect(seen?.lastSeenAt == t0.addingTimeInterval(10) && seen?.status == [:] && seen?.keyId == "k1")
        #expect(try await store.deleteAgent(id: "a1")?.keyId == "k1")
        #expect(try await store.deleteAgent(id: "a1") == nil)
        #expect(try await store.agent(id: "a1") == nil)
    }
}
