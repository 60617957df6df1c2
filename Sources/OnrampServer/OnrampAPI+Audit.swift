import Foundation
import Hummingbird
import OnrampCore
import OnrampStore

/// The audit log over the API: platform admins read every tenant's, a tenant's admins their own.
extension OnrampAPI {
    static func auditValue(_ e: AuditRecord) -> Value {
        ["id": .string(e.id), "at": .string(ISOTime.string(e.at)), "tenant_id": e.tenantId.map(Value.string) ?? .null,
         "actor": ["type": .string(e.actorKind.rawValue), "id": .string(e.actorId), "name": .string(e.actorName)],
         "action": .string(e.action), "resource_type": .string(e.resourceType),
         "resource_id": e.resourceId.map(Value.string) ?? .null, "status": .number(Double(e.status))]
    }

    func addAuditRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.get("/audit") { request, context in
            _ = try context.require([.platformAdmin])
            return try await auditPage(request, tenantId: request.uri.queryParameters.get("tenant_id"))
        }
        api.get("/tenants/:tenant/audit") { request, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .tenantAdmin])
            return try await auditPage(request, tenantId: tenant)
        }
    }

    /// One page, newest first: `limit` (1-500, default 100) and the `cursor` of the previous page.
    func auditPage(_ request: Request, tenantId: String?) async throws -> Response {
        let query = request.uri.queryParameters
        var limit = 100
        if let text = query.get("limit") {
            guard let n = Int(text), (1...500).contains(n) else {
                throw APIError(.unprocessableContent, "invalid", "limit must be an integer from 1 to 500", field: "limit")
            }
            limit = n
        }
        var before: Int64?
        if let cursor = query.get("cursor") {
            guard let sequence = AuditCursor.decode(cursor) else {
                throw APIError(.unprocessableContent, "invalid", "cursor is not one this server returned", field: "cursor")
            }
            before = sequence
        }
        let entries = try await store.auditEntries(tenantId: tenantId, limit: limit + 1, before: before)
        let page = entries.prefix(limit)
        let next: Value = entries.count > limit ? page.last.map { .string(AuditCursor.encode($0.sequence)) } ?? .null : .null
        return JSONResponse.make(["entries": .array(page.map(Self.auditValue)), "next_cursor": next])
    }
}
