import Foundation
import GRDB
import OnrampStore

/// The audit log: one row per change, read newest first by its sequence number.
extension SQLiteStore {
    static func migrateAudit(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE audit_log (
              seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, at REAL NOT NULL, tenant_id TEXT,
              actor_kind TEXT NOT NULL, actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, action TEXT NOT NULL, resource_type TEXT NOT NULL, resource_id TEXT, status INTEGER NOT NULL);
            CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, seq);
            """)
    }

    static func audit(_ row: Row) -> AuditRecord {
        AuditRecord(id: row["id"], at: Date(timeIntervalSince1970: row["at"]), tenantId: row["tenant_id"],
                    actorKind: AuditRecord.ActorKind(rawValue: row["actor_kind"]) ?? .apiKey, actorId: row["actor_id"],
                    actorName: row["actor_name"], action: row["action"], resourceType: row["resource_type"],
                    resourceId: row["resource_id"], status: row["status"], sequence: row["seq"])
    }

    public func appendAudit(_ e: AuditRecord) async throws {
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO audit_log (id, at, tenant_id, actor_kind, actor_id, actor_name, action, resource_type, resource_id, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                e.id, e.at.timeIntervalSince1970, e.tenantId, e.actorKind.rawValue, e.actorId, e.actorName, e.action,
                e.resourceType, e.resourceId, e.status,
            ])
        }
    }

    public func auditEntries(tenantId: String?, limit: Int, before: Int64?) async throws -> [AuditRecord] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let tenantId { conditions.append("tenant_id = ?"); arguments += [tenantId] }
        if let before { conditions.append("seq < ?"); arguments += [before] }
        arguments += [max(limit, 0)]
        let sql = "SELECT * FROM audit_log" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY seq DESC LIMIT ?"
        let bound = arguments
        return try await db.read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(SQLiteStore.audit) }
    }
}
