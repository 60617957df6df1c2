import Foundation
import Logging
import OnrampCore
import OnrampStore
import PostgresNIO

/// Schedules, templates, connections, webhooks and each pipeline version's stored tests.
extension PostgresStore {
    static func schedule(_ row: PostgresRandomAccessRow) throws -> ScheduleRecord {
        ScheduleRecord(id: try row.text("id"), tenantId: try row.text("tenant_id"), pipelineId: try row.text("pipeline_id"),
                       cron: try row.text("cron"), timezone: try row.text("timezone"), enabled: try row.bool("enabled"),
                       createdAt: try row.time("created_at"), lastFiredAt: try row.optionalTime("last_fired_at"),
                       nextDueAt: try row.time("next_due_at"))
    }

    public func saveSchedule(_ s: ScheduleRecord) async throws {
        try await client.query("""
            INSERT INTO schedules (id, tenant_id, pipeline_id, cron, timezone, enabled, created_at, last_fired_at, next_due_at)
            VALUES (\(s.id), \(s.tenantId), \(s.pipelineId), \(s.cron), \(s.timezone), \(s.enabled),
              \(s.createdAt.timeIntervalSince1970), \(s.lastFiredAt?.timeIntervalSince1970), 0)
            ON CONFLICT (id) DO UPDATE SET cron = excluded.cron, timezone = excluded.timezone, enabled = excluded.enabled,
              next_due_at = 0
            """, logger: logger)
        try await announce(.schedules)
    }

    public func schedule(id: String) async throws -> ScheduleRecord? {
        try await rows("SELECT * FROM schedules WHERE id = \(id)").first.map(Self.schedule)
    }

    public func schedules(tenantId: String?) async throws -> [ScheduleRecord] {
        try await rows("""
            SELECT * FROM schedules WHERE (\(tenantId)::text IS NULL OR tenant_id = \(tenantId)) ORDER BY created_at, id
            """).map(Self.schedule)
    }

    public func deleteSchedule(id: String) async throws -> Bool {
        let deleted = try await !rows("DELETE FROM schedules WHERE id = \(id) RETURNING 1").isEmpty
        if deleted { try await announce(.schedules) }
        return deleted
    }

    public func markFired(scheduleId: String, slot: Date) async throws -> Bool {
        let seconds = slot.timeIntervalSince1970
        return try await !rows("""
            UPDATE schedules SET last_fired_at = \(seconds)
            WHERE id = \(scheduleId) AND (last_fired_at IS NULL OR last_fired_at < \(seconds)) RETURNING 1
            """).isEmpty
    }

    public func dueSchedules(at now: Date, limit: Int) async throws -> [ScheduleRecord] {
        try await rows("""
            SELECT * FROM schedules WHERE enabled AND next_due_at <= \(now.timeIntervalSince1970)
            ORDER BY next_due_at, id LIMIT \(limit)
            """).map(Self.schedule)
    }

    public func nextScheduleDue() async throws -> Date? {
        try await rows("SELECT MIN(next_due_at) AS due FROM schedules WHERE enabled").first?.optionalTime("due")
    }

    public func setNextDue(_ s: ScheduleRecord, at due: Date) async throws {
        try await client.query("""
            UPDATE schedules SET next_due_at = \(due.timeIntervalSince1970)
            WHERE id = \(s.id) AND cron = \(s.cron) AND timezone = \(s.timezone) AND enabled = \(s.enabled)
            """, logger: logger)
    }

    // MARK: templates

    static func template(_ row: PostgresRandomAccessRow) throws -> TemplateRecord {
        TemplateRecord(name: try row.text("name"), description: try row.text("description"),
                       document: json(try row.text("document")) ?? .null, updatedAt: try row.time("updated_at"))
    }

    public func saveTemplate(_ t: TemplateRecord) async throws {
        try await client.query("""
            INSERT INTO templates VALUES (\(t.name), \(t.description), \(JSONWriter.string(t.document)),
              \(t.updatedAt.timeIntervalSince1970))
            ON CONFLICT (name) DO UPDATE SET description = excluded.description, document = excluded.document,
              updated_at = excluded.updated_at
            """, logger: logger)
    }

    public func templates() async throws -> [TemplateRecord] {
        try await rows("SELECT * FROM templates ORDER BY name").map(Self.template)
    }

    public func template(name: String) async throws -> TemplateRecord? {
        try await rows("SELECT * FROM templates WHERE name = \(name)").first.map(Self.template)
    }

    // MARK: connections

    public func saveConnection(_ c: ConnectionRecord) async throws {
        try await client.query("""
            INSERT INTO connections VALUES (\(c.tenantId), \(c.name), \(c.connector), \(JSONWriter.string(c.config)),
              \(c.updatedAt.timeIntervalSince1970))
            ON CONFLICT (tenant_id, name) DO UPDATE SET connector = excluded.connector, config = excluded.config,
              updated_at = excluded.updated_at
            """, logger: logger)
    }

    public func connections(tenantId: String) async throws -> [ConnectionRecord] {
        try await rows("SELECT * FROM connections WHERE tenant_id = \(tenantId) ORDER BY name").map {
            ConnectionRecord(tenantId: try $0.text("tenant_id"), name: try $0.text("name"), connector: try $0.text("connector"),
                             config: Self.json(try $0.text("config")) ?? .null, updatedAt: try $0.time("updated_at"))
        }
    }

    public func deleteConnection(tenantId: String, name: String) async throws -> Bool {
        try await !rows("DELETE FROM connections WHERE tenant_id = \(tenantId) AND name = \(name) RETURNING 1").isEmpty
    }

    // MARK: webhooks

    public func saveWebhook(_ w: WebhookRecord) async throws {
        let events = JSONWriter.string(.array(w.events.map { .string($0.rawValue) }))
        try await client.query("""
            INSERT INTO webhooks VALUES (\(w.tenantId), \(w.url), \(w.secret), \(events), \(w.enabled),
              \(w.updatedAt.timeIntervalSince1970))
            ON CONFLICT (tenant_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, events = excluded.events,
                enabled = excluded.enabled, updated_at = excluded.updated_at
            """, logger: logger)
    }

    public func webhook(tenantId: String) async throws -> WebhookRecord? {
        try await rows("SELECT * FROM webhooks WHERE tenant_id = \(tenantId)").first.map { row in
            let events = Self.json(try row.text("events"))?.arrayValue?.compactMap { $0.stringValue.flatMap(RunState.init(rawValue:)) }
            return WebhookRecord(tenantId: try row.text("tenant_id"), url: try row.text("url"), secret: try row.text("secret"),
                                 events: events ?? [], enabled: try row.bool("enabled"), updatedAt: try row.time("updated_at"))
        }
    }

    public func deleteWebhook(tenantId: String) async throws -> Bool {
        try await !rows("DELETE FROM webhooks WHERE tenant_id = \(tenantId) RETURNING 1").isEmpty
    }

    // MARK: pipeline tests

    public func savePipelineTests(_ r: PipelineTestRecord) async throws {
        try await client.query("""
            INSERT INTO pipeline_tests (pipeline_id, version, document, required, updated_at)
            VALUES (\(r.pipelineId), \(r.version), \(JSONWriter.string(r.document)), \(r.required), \(r.updatedAt.timeIntervalSince1970))
            ON CONFLICT (pipeline_id, version) DO UPDATE SET document = excluded.document, required = excluded.required,
              updated_at = excluded.updated_at, last_passed = NULL, last_cases = NULL, last_failed = NULL, last_at = NULL,
              last_results = NULL
            """, logger: logger)
    }

    public func pipelineTests(pipelineId: String, version: Int) async throws -> PipelineTestRecord? {
        guard let row = try await rows("""
            SELECT * FROM pipeline_tests WHERE pipeline_id = \(pipelineId) AND version = \(version)
            """).first else { return nil }
        var lastRun: PipelineTestRun?
        if let passed = try row.optionalBool("last_passed"), let at = try row.optionalTime("last_at") {
            lastRun = PipelineTestRun(passed: passed, cases: try row.optionalInt("last_cases") ?? 0,
                                      failed: try row.optionalInt("last_failed") ?? 0, at: at,
                                      results: Self.json(try row.optionalText("last_results")) ?? .null)
        }
        return PipelineTestRecord(pipelineId: try row.text("pipeline_id"), version: try row.int("version"),
                                  document: Self.json(try row.text("document")) ?? .null, required: try row.bool("required"),
                                  updatedAt: try row.time("updated_at"), lastRun: lastRun)
    }

    public func recordPipelineTestRun(pipelineId: String, version: Int, documentAt: Date, run: PipelineTestRun) async throws
        -> Bool {
        try await !rows("""
            UPDATE pipeline_tests SET last_passed = \(run.passed), last_cases = \(run.cases), last_failed = \(run.failed),
              last_at = \(run.at.timeIntervalSince1970), last_results = \(JSONWriter.string(run.results))
            WHERE pipeline_id = \(pipelineId) AND version = \(version) AND updated_at = \(documentAt.timeIntervalSince1970)
            RETURNING 1
            """).isEmpty
    }
}
