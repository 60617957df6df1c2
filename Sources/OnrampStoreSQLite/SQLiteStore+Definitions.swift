import Foundation
import GRDB
import OnrampCore
import OnrampStore

/// Schedules, templates and connections.
extension SQLiteStore {
    static func schedule(_ row: Row) -> ScheduleRecord {
        ScheduleRecord(id: row["id"], tenantId: row["tenant_id"], pipelineId: row["pipeline_id"], cron: row["cron"], timezone: row["timezone"],
                       enabled: row["enabled"], createdAt: Date(timeIntervalSince1970: row["created_at"]), lastFiredAt: date(row["last_fired_at"]),
                       nextDueAt: Date(timeIntervalSince1970: row["next_due_at"]))
    }

    // MARK: schedules

    public func saveSchedule(_ s: ScheduleRecord) async throws {
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO schedules (id, tenant_id, pipeline_id, cron, timezone, enabled, created_at, last_fired_at, next_due_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)
                ON CONFLICT (id) DO UPDATE SET cron = excluded.cron, timezone = excluded.timezone, enabled = excluded.enabled,
                  next_due_at = 0
                """, arguments: [s.id, s.tenantId, s.pipelineId, s.cron, s.timezone, s.enabled, s.createdAt.timeIntervalSince1970,
                                 s.lastFiredAt?.timeIntervalSince1970])
        }
    }

    public func schedule(id: String) async throws -> ScheduleRecord? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM schedules WHERE id = ?", arguments: [id]).map(SQLiteStore.schedule) }
    }

    public func schedules(tenantId: String?) async throws -> [ScheduleRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM schedules WHERE (? IS NULL OR tenant_id = ?) ORDER BY created_at, id",
                             arguments: [tenantId, tenantId]).map(SQLiteStore.schedule)
        }
    }

    public func deleteSchedule(id: String) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM schedules WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    public func markFired(scheduleId: String, slot: Date) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "UPDATE schedules SET last_fired_at = ? WHERE id = ? AND (last_fired_at IS NULL OR last_fired_at < ?)",
                           arguments: [slot.timeIntervalSince1970, scheduleId, slot.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    public func dueSchedules(at now: Date, limit: Int) async throws -> [ScheduleRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM schedules WHERE enabled = 1 AND next_due_at <= ? ORDER BY next_due_at, id LIMIT ?",
                             arguments: [now.timeIntervalSince1970, limit]).map(SQLiteStore.schedule)
        }
    }

    public func nextScheduleDue() async throws -> Date? {
        try await db.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_due_at) FROM schedules WHERE enabled = 1").map(Date.init(timeIntervalSince1970:))
        }
    }

    public func setNextDue(_ s: ScheduleRecord, at due: Date) async throws {
        try await db.write { db in
            try db.execute(sql: "UPDATE schedules SET next_due_at = ? WHERE id = ? AND cron = ? AND timezone = ? AND enabled = ?",
                           arguments: [due.timeIntervalSince1970, s.id, s.cron, s.timezone, s.enabled])
        }
    }

    // MARK: templates

    static func template(_ row: Row) -> TemplateRecord {
        TemplateRecord(name: row["name"], description: row["description"], document: json(row["document"]) ?? .null,
                       updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }

    public func saveTemplate(_ t: TemplateRecord) async throws {
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO templates VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET description = excluded.description, document = excluded.document, updated_at = excluded.updated_at
                """, arguments: [t.name, t.description, JSONWriter.string(t.document), t.updatedAt.timeIntervalSince1970])
        }
    }

    public func templates() async throws -> [TemplateRecord] {
        try await db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM templates ORDER BY name").map(SQLiteStore.template) }
    }

    public func template(name: String) async throws -> TemplateRecord? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM templates WHERE name = ?", arguments: [name]).map(SQLiteStore.template) }
    }

    // MARK: connections

    public func saveConnection(_ c: ConnectionRecord) async throws {
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO connections VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (tenant_id, name) DO UPDATE SET connector = excluded.connector, config = excluded.config, updated_at = excluded.updated_at
                """, arguments: [c.tenantId, c.name, c.connector, JSONWriter.string(c.config), c.updatedAt.timeIntervalSince1970])
        }
    }

    public func connections(tenantId: String) async throws -> [ConnectionRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM connections WHERE tenant_id = ? ORDER BY name", arguments: [tenantId]).map {
                ConnectionRecord(tenantId: $0["tenant_id"], name: $0["name"], connector: $0["connector"], config: SQLiteStore.json($0["config"]) ?? .null,
                                 updatedAt: Date(timeIntervalSince1970: $0["updated_at"]))
            }
        }
    }

    public func deleteConnection(tenantId: String, name: String) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM connections WHERE tenant_id = ? AND name = ?", arguments: [tenantId, name])
            return db.changesCount == 1
        }
    }
}
