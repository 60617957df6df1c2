import Foundation
import OnrampCore

/// An edge agent the platform knows: made by a tenant's admin for one push pipeline with a one-time enrolment token
/// (only its hash kept, until it is used or expires), then enrolled: the agent exchanged the token for a push key
/// (`keyId`). Its heartbeats keep `lastSeenAt` and what it said of itself (`status`). `runRequests` counts the runs
/// asked for from the platform; the agent says in its status how many it has taken up (`run_requests_seen`), so a
/// request whose answer was lost is handed over again. `config` is the pipeline the platform gives the agent
/// (`{"pipeline": …, "every_seconds": …}`), numbered by `configVersion`.
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
    public var runRequests: Int
    public var config: Value?
    public var configVersion: Int

    public init(id: String, tenantId: String, pipelineId: String, name: String, enrolmentHash: String?,
                enrolmentExpiresAt: Date?, keyId: String? = nil, createdAt: Date, lastSeenAt: Date? = nil, status: Value? = nil,
                runRequests: Int = 0, config: Value? = nil, configVersion: Int = 0) {
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
        self.runRequests = runRequests
        self.config = config
        self.configVersion = configVersion
    }

    /// How many of the runs asked for the agent said it has taken up (its status's `run_requests_seen`); an agent that
    /// does not say (before its first heartbeat, or an older one) is taken to have taken up all of them.
    public var runRequestsSeen: Int { status?["run_requests_seen"]?.countValue ?? runRequests }
    /// Whether a run was asked for that the agent has not taken up yet.
    public var runRequested: Bool { runRequests > runRequestsSeen }
    /// The config version the agent said it runs (its status's `config_version`).
    public var configVersionSeen: Int { status?["config_version"]?.countValue ?? 0 }
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
    /// Stores a heartbeat; the agent as it is now, nil when there is none.
    func agentHeartbeat(id: String, status: Value, at: Date) async throws -> AgentRecord?
    /// Asks the agent for one more run (`runRequests` + 1); false when there is no such agent.
    func requestAgentRun(id: String) async throws -> Bool
    /// The agent's runs asked for and config version, read alone (what a waiting heartbeat watches); nil: no agent.
    func agentCounters(id: String) async throws -> (runRequests: Int, configVersion: Int)?
    /// Gives the agent a new config; its version (the last + 1), nil when there is no such agent.
    func setAgentConfig(id: String, config: Value) async throws -> Int?
    /// Removes the agent; the record as it was when it went (its key id included), nil when there was none.
    func deleteAgent(id: String) async throws -> AgentRecord?
}
