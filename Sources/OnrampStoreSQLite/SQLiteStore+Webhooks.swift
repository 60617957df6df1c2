import Foundation
import GRDB
import OnrampCore
import OnrampStore

extension SQLiteStore {
    public func saveWebhook(_ w: WebhookRecord) async throws {
        let events = JSONWriter.string(.array(w.events.map { .string($0.rawValue) }))
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO webhooks VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (tenant_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, events = excluded.events,
                    enabled = excluded.enabled, updated_at = excluded.updated_at
                """, arguments: [w.tenantId, w.url, w.secret, events, w.enabled, w.updatedAt.timeIntervalSince1970])
        }
    }

    public func webhook(tenantId: String) async throws -> WebhookRecord? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM webhooks WHERE tenant_id = ?", arguments: [tenantId]).map { row in
                let events = SQLiteStore.json(row["events"])?.arrayValue?.compactMap { $0.stringValue.flatMap(RunState.init(rawValue:)) }
                return WebhookRecord(tenantId: row["tenant_id"], url: row["url"], secret: row["secret"], events: events ?? [],
                                     enabled: row["enabled"], updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
            }
        }
    }

    public func deleteWebhook(tenantId: String) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM webhooks WHERE tenant_id = ?", arguments: [tenantId])
            return db.changesCount == 1
        }
    }
}
