import Foundation
import OnrampCore
import OnrampStore
import PostgresNIO

extension PostgresStore {
    static let agentMigration = [
        """
        CREATE TABLE agents (
          id TEXT COLLATE "C" PRIMARY KEY, tenant_id TEXT COLLATE "C" NOT NULL, pipeline_id TEXT COLLATE "C" NOT NULL,
          name TEXT NOT NULL, enrolment_hash TEXT UNIQUE, enrolment_expires_at DOUBLE PRECISION, key_id TEXT,
          created_at DOUBLE PRECISION NOT NULL, last_seen_at DOUBLE PRECISION, status TEXT,
          run_requested BOOLEAN NOT NULL DEFAULT false)
        """,
        "CREATE INDEX agents_by_pipeline ON agents (pipeline_id)",
        "CREATE INDEX agents_by_key ON agents (key_id)",
    ]

    static let agentControlMigration = [
        "ALTER TABLE agents ADD COLUMN run_requests BIGINT NOT NULL DEFAULT 0",
        "UPDATE agents SET run_requests = CASE WHEN run_requested THEN 1 ELSE 0 END",
        "ALTER TABLE agents ADD COLUMN config TEXT",
        "ALTER TABLE agents ADD COLUMN config_version BIGINT NOT NULL DEFAULT 0",
    ]

    static func agent(_ row: PostgresRandomAccessRow) throws -> AgentRecord {
        AgentRecord(id: try row.text("id"), tenantId: try row.text("tenant_id"), pipelineId: try row.text("pipeline_id"),
                    name: try row.text("name"), enrolmentHash: try row.optionalText("enrolment_hash"),
                    enrolmentExpiresAt: try row.optionalTime("enrolment_expires_at"), keyId: try row.optionalText("key_id"),
                    createdAt: try row.time("created_at"), lastSeenAt: try row.optionalTime("last_seen_at"),
                    status: json(try row.optionalText("status")), runRequests: try row.int("run_requests"),
                    config: json(try row.optionalText("config")), configVersion: try row.int("config_version"))
    }

    public func createAgent(_ a: AgentRecord) async throws {
        _ = try await rows("""
            INSERT INTO agents (id, tenant_id, pipeline_id, name, enrolment_hash, enrolment_expires_at, key_id, created_at,
              last_seen_at, status, run_requests, config, config_version)
            VALUES (\(a.id), \(a.tenantId), \(a.pipelineId), \(a.name), \(a.enrolmentHash),
              \(a.enrolmentExpiresAt?.timeIntervalSince1970), \(a.keyId), \(a.createdAt.timeIntervalSince1970),
              \(a.lastSeenAt?.timeIntervalSince1970), \(a.status.map { JSONWriter.string($0) }), \(a.runRequests),
              \(a.config.map { JSONWriter.string($0) }), \(a.configVersion))
            """)
    }

    public func agent(id: String) async throws -> AgentRecord? {
        try await rows("SELECT * FROM agents WHERE id = \(id)").first.map(Self.agent)
    }

    public func agent(enrolmentHash: String) async throws -> AgentRecord? {
        try await rows("SELECT * FROM agents WHERE enrolment_hash = \(enrolmentHash)").first.map(Self.agent)
    }

    public func agent(keyId: String) async throws -> AgentRecord? {
        try await rows("SELECT * FROM agents WHERE key_id = \(keyId)").first.map(Self.agent)
    }

    public func agents(pipelineId: String) async throws -> [AgentRecord] {
        try await rows("SELECT * FROM agents WHERE pipeline_id = \(pipelineId) ORDER BY created_at, id").map(Self.agent)
    }

    public func enrolAgent(id: String, enrolmentHash: String, keyId: String) async throws -> Bool {
        try await !rows("""
            UPDATE agents SET enrolment_hash = NULL, enrolment_expires_at = NULL, key_id = \(keyId)
            WHERE id = \(id) AND enrolment_hash = \(enrolmentHash) RETURNING 1
            """).isEmpty
    }

    public func agentHeartbeat(id: String, status: Value, at: Date) async throws -> AgentRecord? {
        try await rows("""
            UPDATE agents SET status = \(JSONWriter.string(status)), last_seen_at = \(at.timeIntervalSince1970)
            WHERE id = \(id) RETURNING *
            """).first.map(Self.agent)
    }

    public func requestAgentRun(id: String) async throws -> Bool {
        try await !rows("UPDATE agents SET run_requests = run_requests + 1 WHERE id = \(id) RETURNING 1").isEmpty
    }

    public func agentCounters(id: String) async throws -> (runRequests: Int, configVersion: Int)? {
        try await rows("SELECT run_requests, config_version FROM agents WHERE id = \(id)").first
            .map { (try $0.int("run_requests"), try $0.int("config_version")) }
    }

    public func setAgentConfig(id: String, config: Value) async throws -> Int? {
        try await rows("""
            UPDATE agents SET config = \(JSONWriter.string(config)), config_version = config_version + 1 WHERE id = \(id)
            RETURNING config_version
            """).first.map { try $0.int("config_version") }
    }

    public func deleteAgent(id: String) async throws -> AgentRecord? {
        try await rows("DELETE FROM agents WHERE id = \(id) RETURNING *").first.map(Self.agent)
    }
}
