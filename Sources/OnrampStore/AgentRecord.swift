import Foundation
import OnrampCore

/// An edge agent the platform knows: made by a tenant's admin for one push pipeline with a one-time enrolment token
/// (only its hash kept, until it is used or expires), then enrolled: the agent exchanged the token for a push key
/// (`keyId`). Its heartbeats keep `lastSeenAt` and what it said of itself (`status`); `runRequested` is a run asked for
/// from the platform, handed to the agent with its next heartbeat.
public struct AgentRecord: Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var pipelineId: String
    public var name: String
    public var enrolmentHash: String?
    public var enrolmentExpiresAt: Date?
    public var keyId: String?
    public var createdAt: Date
    public var lastSeenAt: Date?
    public var status: Value?
    public var runRequested: Bool

    public init(id: String, tenantId: String, pipelineId: String, name: String, enrolmentHash: String?,
                enrolmentExpiresAt: Date?, keyId: String? = nil, createdAt: Date, lastSeenAt: Date? = nil, status: Value? = nil,
                runRequested: Bool = false) {
        self.id = id
        self.tenantId = tenantId
        self.pipelineId = pipelineId
        self.name = name
        self.enrolmentHash = enrolmentHash
        self.enrolmentExpiresAt = enrolmentExpiresAt
        self.keyId = keyId
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.status = status
        self.runRequested = runRequested
    }
}

/// Edge agents. `enrolAgent` is a compare-and-set on the token, so one token enrols one agent once.
public protocol AgentStore: Sendable {
    func createAgent(_ agent: AgentRecord) async throws
    func agent(id: String) async throws -> AgentRecord?
    func agents(pipelineId: String) async throws -> [AgentRecord]
    /// The agent whose enrolment token has this hash (used or expired ones have none).
    func agent(enrolmentHash: String) async throws -> AgentRecord?
    func agent(keyId: String) async throws -> AgentRecord?
    /// Records the key the agent got for its token, and forgets the token; false when the token was used meanwhile.
    func enrolAgent(id: String, enrolmentHash: String, keyId: String) async throws -> Bool
    /// Stores a heartbeat; answers whether a run was requested (and clears the request), nil when there is no agent.
    func agentHeartbeat(id: String, status: Value, at: Date) async throws -> Bool?
    /// Asks the agent for a run at its next heartbeat; false when there is no such agent.
    func requestAgentRun(id: String) async throws -> Bool
    /// Removes the agent; the record as it was when it went (its key id included), nil when there was none.
    func deleteAgent(id: String) async throws -> AgentRecord?
}
