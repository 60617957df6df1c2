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
        #expect(try await store.agentHeartbeat(id: "a1", status: ["spool": ["segments": 2]], at: t0.addingTimeInterval(5))?
            .runRequested == false)
        #expect(try await store.requestAgentRun(id: "a1"))
        #expect(try await store.requestAgentRun(id: "a1"))
        #expect(try await store.requestAgentRun(id: "nope") == false)
        // A request stays asked for until the agent says it took it up, however many heartbeats go by.
        let asked = try await store.agentHeartbeat(id: "a1", status: ["run_requests_seen": 0], at: t0.addingTimeInterval(9))
        #expect(asked?.runRequests == 2 && asked?.runRequested == true)
        #expect(try await store.agentHeartbeat(id: "a1", status: ["run_requests_seen": 1], at: t0)?.runRequested == true)
        #expect(try await store.agentHeartbeat(id: "a1", status: ["run_requests_seen": 2], at: t0)?.runRequested == false)
        #expect(try await store.agentHeartbeat(id: "nope", status: [:], at: t0) == nil)
        // An agent that does not say what it took up (an older one) takes up all: it is not asked for runs forever.
        #expect(try await store.requestAgentRun(id: "a1"))
        #expect(try await store.agentHeartbeat(id: "a1", status: ["spool": [:]], at: t0)?.runRequested == false)
        #expect(try await store.agentCounters(id: "a1")?.runRequests == 3)
        // Numbers no count can be (kept by an older server, say) read as not said, never as a trap.
        #expect(try await store.agentHeartbeat(id: "a1", status: ["run_requests_seen": 1e300, "config_version": -1], at: t0)?
            .runRequested == false)
        #expect(try await store.agentCounters(id: "nope") == nil)
        // Each config the platform gives the agent gets the next version.
        #expect(try await store.setAgentConfig(id: "a1", config: ["every_seconds": 60]) == 1)
        #expect(try await store.setAgentConfig(id: "a1", config: ["every_seconds": 30]) == 2)
        #expect(try await store.setAgentConfig(id: "nope", config: [:]) == nil)
        #expect(try await store.agentCounters(id: "a1")?.configVersion == 2)
        #expect(try await store.agentHeartbeat(id: "a1", status: [:], at: t0.addingTimeInterval(10))?.config == ["every_seconds": 30])
        let seen = try await store.agent(id: "a1")
        #expect(seen?.lastSeenAt == t0.addingTimeInterval(10) && seen?.status == [:] && seen?.keyId == "k1" && seen?.configVersion == 2)
        #expect(try await store.deleteAgent(id: "a1")?.keyId == "k1")
        #expect(try await store.deleteAgent(id: "a1") == nil)
        #expect(try await store.agent(id: "a1") == nil)
    }
}
