import Foundation
import GRDB
import OnrampCore
import OnrampStore

extension SQLiteStore {
    static func migrateAgents(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE agents (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, pipeline_id TEXT NOT NULL, name TEXT NOT NULL,
                enrolment_hash TEXT UNIQUE, enrolment_expires_at REAL, key_id TEXT, created_at REAL NOT NULL,
                last_seen_at REAL, status TEXT, run_requested INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX agents_by_pipeline ON agents (pipeline_id);
            CREATE INDEX agents_by_key ON agents (key_id);
            """)
    }

    /// Run requests become a count the agent acknowledges (a lost answer no longer loses the request); agents get
    /// the config the platform gives them. `run_requested` stays, unused, for the previous release (docs/operations.md).
    static func migrateAgentControl(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE agents ADD COLUMN run_requests INTEGER NOT NULL DEFAULT 0;
            UPDATE agents SET run_requests = run_requested;
            ALTER TABLE agents ADD COLUMN config TEXT;
            ALTER TABLE agents ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0;
            """)
    }

    static func agent(_ row: Row) -> AgentRecord {
        AgentRecord(id: row["id"], tenantId: row["tenant_id"], pipelineId: row["pipeline_id"], name: row["name"],
                    enrolmentHash: row["enrolment_hash"], enrolmentExpiresAt: date(row["enrolment_expires_at"]),
                    keyId: row["key_id"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                    lastSeenAt: date(row["last_seen_at"]), status: json(row["status"]), runRequests: row["run_requests"],
                    config: json(row["config"]), configVersion: row["config_version"])
    }

    public func createAgent(_ a: AgentRecord) async throws {
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO agents (id, tenant_id, pipeline_id, name, enrolment_hash, enrolment_expires_at, key_id, created_at,
                  last_seen_at, status, run_requests, config, config_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                a.id, a.tenantId, a.pipelineId, a.name, a.enrolmentHash, a.enrolmentExpiresAt?.timeIntervalSince1970, a.keyId,
                a.createdAt.timeIntervalSince1970, a.lastSeenAt?.timeIntervalSince1970, a.status.map { JSONWriter.string($0) },
                a.runRequests, a.config.map { JSONWriter.string($0) }, a.configVersion])
        }
    }

    func oneAgent(_ sql: String, _ arguments: StatementArguments) async throws -> AgentRecord? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM agents WHERE " + sql, arguments: arguments).map(Self.agent) }
    }

    public func agent(id: String) async throws -> AgentRecord? { try await oneAgent("id = ?", [id]) }
    public func agent(enrolmentHash: String) async throws -> AgentRecord? { try await oneAgent("enrolment_hash = ?", [enrolmentHash]) }
    public func agent(keyId: String) async throws -> AgentRecord? { try await oneAgent("key_id = ?", [keyId]) }

    public func agents(pipelineId: String) async throws -> [AgentRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM agents WHERE pipeline_id = ? ORDER BY created_at, id", arguments: [pipelineId])
                .map(Self.agent)
        }
    }

    public func enrolAgent(id: String, enrolmentHash: String, keyId: String) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: """
                UPDATE agents SET enrolment_hash = NULL, enrolment_expires_at = NULL, key_id = ? WHERE id = ? AND enrolment_hash = ?
                """, arguments: [keyId, id, enrolmentHash])
            return db.changesCount == 1
        }
    }

    public func agentHeartbeat(id: String, status: Value, at: Date) async throws -> AgentRecord? {
        try await db.write { db in
            try Row.fetchOne(db, sql: "UPDATE agents SET status = ?, last_seen_at = ? WHERE id = ? RETURNING *",
                             arguments: [JSONWriter.string(status), at.timeIntervalSince1970, id]).map(Self.agent)
        }
    }

    public func requestAgentRun(id: String) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "UPDATE agents SET run_requests = run_requests + 1 WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    public func agentCounters(id: String) async throws -> (runRequests: Int, configVersion: Int)? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT run_requests, config_version FROM agents WHERE id = ?", arguments: [id])
                .map { ($0["run_requests"], $0["config_version"]) }
        }
    }

    public func setAgentConfig(id: String, config: Value) async throws -> Int? {
        try await db.write { db in
            try Int.fetchOne(db, sql: """
                UPDATE agents SET config = ?, config_version = config_version + 1 WHERE id = ? RETURNING config_version
                """, arguments: [JSONWriter.string(config), id])
        }
    }

    public func deleteAgent(id: String) async throws -> AgentRecord? {
        try await db.write { db in
            let gone = try Row.fetchOne(db, sql: "SELECT * FROM agents WHERE id = ?", arguments: [id]).map(Self.agent)
            try db.execute(sql: "DELETE FROM agents WHERE id = ?", arguments: [id])
            return gone
        }
    }
}
