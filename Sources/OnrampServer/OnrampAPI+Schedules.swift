import Foundation
import Hummingbird
import OnrampCore
import OnrampScheduler
import OnrampStore

extension OnrampAPI {
    static func scheduleValue(_ s: ScheduleRecord, now: Date = Date()) -> Value {
        var next: [Value] = []
        if let cron = try? CronExpression(s.cron), let zone = TimeZone(identifier: s.timezone), s.enabled {
            next = cron.next(5, after: now, in: zone).map { .string(ISOTime.string($0)) }
        }
        return ["id": .string(s.id), "tenant_id": .string(s.tenantId), "pipeline_id": .string(s.pipelineId), "cron": .string(s.cron),
                "timezone": .string(s.timezone), "enabled": .bool(s.enabled), "created_at": .string(ISOTime.string(s.createdAt)),
                "last_fired_at": s.lastFiredAt.map { .string(ISOTime.string($0)) } ?? .null, "next_fire_times": .array(next)]
    }

    /// Applies `cron`, `timezone` and `enabled` from a request body, validating each.
    static func apply(_ body: Value, to s: inout ScheduleRecord) throws {
        try onlyKeys(body, ["cron", "timezone", "enabled"])
        let o = body.objectValue ?? [:]
        if let c = o["cron"] {
            guard case .string(let text) = c else { throw APIError(.unprocessableContent, "invalid", "must be a string", field: "cron") }
            do { _ = try CronExpression(text) } catch { throw APIError(.unprocessableContent, error.code, error.message, field: "cron") }
            s.cron = text
        }
        if let t = o["timezone"] {
            guard case .string(let tz) = t, TimeZone(identifier: tz) != nil else {
                throw APIError(.unprocessableContent, "invalid", "must be an IANA time zone such as Europe/Berlin", field: "timezone")
            }
            s.timezone = tz
        }
        if let e = o["enabled"] {
            guard case .bool(let b) = e else { throw APIError(.unprocessableContent, "invalid", "must be a boolean", field: "enabled") }
            s.enabled = b
        }
    }

    func schedule(_ context: OnrampRequestContext, tenant: String) async throws -> ScheduleRecord {
        let id = try context.parameters.require("schedule")
        guard let s = try await store.schedule(id: id), s.tenantId == tenant else { throw APIError.notFound("schedule \(id)") }
        return s
    }

    /// `{cron, timezone, count?}` -> the next `count` (1-50, default 5) fire times, as a schedule editor shows
    /// them while a cron is typed; changes nothing.
    static func previewFireTimes(_ body: Value, now: Date = Date()) throws -> Value {
        try onlyKeys(body, ["cron", "timezone", "count"])
        guard body["cron"] != nil else { throw APIError(.unprocessableContent, "missing", "required key is missing", field: "cron") }
        var s = ScheduleRecord(id: "", tenantId: "", pipelineId: "", cron: "", timezone: "UTC", enabled: true, createdAt: now)
        var fields = body.objectValue ?? [:]
        let count = fields.removeValue(forKey: "count")
        try apply(.object(fields), to: &s)
        var n = 5
        if let count {
            guard let c = count.numberValue, c == c.rounded(), (1...50).contains(c) else {
                throw APIError(.unprocessableContent, "invalid", "must be a whole number from 1 to 50", field: "count")
            }
            n = Int(c)
        }
        guard let cron = try? CronExpression(s.cron), let zone = TimeZone(identifier: s.timezone) else {
            throw APIError(.unprocessableContent, "invalid", "not a schedule", field: "cron")
        }
        return ["next": .array(cron.next(n, after: now, in: zone).map { .string(ISOTime.string($0)) })]
    }

    func addScheduleRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        let changers: Set<Role> = [.platformAdmin, .engineer, .tenantAdmin]
        api.post("/schedules/preview") { request, _ in
            JSONResponse.make(try Self.previewFireTimes(try await request.jsonBody()))
        }
        api.post("/tenants/:tenant/pipelines/:pipeline/schedules") { request, context in
            let tenant = try context.tenant(allowing: changers)
            let p = try await activePipeline(context, tenant: tenant)
            let body = try await request.jsonBody()
            guard body["cron"] != nil else { throw APIError(.unprocessableContent, "missing", "required key is missing", field: "cron") }
            var s = ScheduleRecord(id: UUID().uuidString.lowercased(), tenantId: tenant, pipelineId: p.pipelineId, cron: "", timezone: "UTC",
                                   enabled: true, createdAt: Date())
            try Self.apply(body, to: &s)
            try await store.saveSchedule(s)
            scheduler?.wake()
            return JSONResponse.created(Self.scheduleValue(s), at: "/api/v1/tenants/\(tenant)/schedules/\(s.id)")
        }
        api.get("/tenants/:tenant/schedules") { request, context in
            let tenant = try context.tenant()
            let page = try ListPage(request).slice(try await store.schedules(tenantId: tenant)) {
                ListPage.createdKey($0.createdAt, $0.id)
            }
            return JSONResponse.make(["schedules": .array(page.items.map { Self.scheduleValue($0) }), "next_cursor": page.next])
        }
        api.get("/tenants/:tenant/schedules/:schedule") { _, context in
            let tenant = try context.tenant()
            return JSONResponse.make(Self.scheduleValue(try await schedule(context, tenant: tenant)))
        }
        api.patch("/tenants/:tenant/schedules/:schedule") { request, context in
            let tenant = try context.tenant(allowing: changers)
            var s = try await schedule(context, tenant: tenant)
            try Self.apply(try await request.jsonBody(), to: &s)
            try await store.saveSchedule(s)
            scheduler?.wake()
            return JSONResponse.make(Self.scheduleValue(s))
        }
        api.delete("/tenants/:tenant/schedules/:schedule") { _, context in
            let tenant = try context.tenant(allowing: changers)
            let s = try await schedule(context, tenant: tenant)
            _ = try await store.deleteSchedule(id: s.id)
            return Response(status: .noContent)
        }
    }
}
