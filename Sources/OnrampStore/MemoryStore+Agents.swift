import Foundation
import OnrampCore

extension MemoryStore {
    public func createAgent(_ agent: AgentRecord) { agentsById[agent.id] = agent }
    public func agent(id: String) -> AgentRecord? { agentsById[id] }
    public func agents(pipelineId: String) -> [AgentRecord] {
        agentsById.values.filter { $0.pipelineId == pipelineId }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }
    public func agent(enrolmentHash: String) -> AgentRecord? { agentsById.values.first { $0.enrolmentHash == enrolmentHash } }
    public func agent(keyId: String) -> AgentRecord? { agentsById.values.first { $0.keyId == keyId } }

    public func enrolAgent(id: String, enrolmentHash: String, keyId: String) -> Bool {
        guard agentsById[id]?.enrolmentHash == enrolmentHash else { return false }
        agentsById[id]?.enrolmentHash = nil
        agentsById[id]?.enrolmentExpiresAt = nil
        agentsById[id]?.keyId = keyId
        return true
    }

    public func agentHeartbeat(id: String, status: Value, at: Date) -> AgentRecord? {
        guard agentsById[id] != nil else { return nil }
        agentsById[id]?.status = status
        agentsById[id]?.lastSeenAt = at
        return agentsById[id]
    }

    public func requestAgentRun(id: String) -> Bool {
        guard agentsById[id] != nil else { return false }
        agentsById[id]?.runRequests += 1
        return true
    }

    public func agentCounters(id: String) -> (runRequests: Int, configVersion: Int)? {
        agentsById[id].map { ($0.runRequests, $0.configVersion) }
    }

    public func setAgentConfig(id: String, config: Value) -> Int? {
        guard agentsById[id] != nil else { return nil }
        agentsById[id]?.config = config
        agentsById[id]?.configVersion += 1
        return agentsById[id]?.configVersion
    }

    public func deleteAgent(id: String) -> AgentRecord? { agentsById.removeValue(forKey: id) }
}
