import Foundation
import Hummingbird
import OnrampCore
import OnrampEngine
import OnrampStore

extension OnrampAPI {
    static let defaultWebhookEvents: [RunState] = [.failed, .succeededWithErrors]

    static func webhookValue(_ w: WebhookRecord) -> Value {
        ["url": .string(w.url), "secret": .string(w.secret), "events": .array(w.events.map { .string($0.rawValue) }),
         "enabled": .bool(w.enabled), "updated_at": .string(ISOTime.string(w.updatedAt))]
    }

    /// The tenant's own webhook (`{url, secret: "${secret:NAME}", events, enabled}`): every run of the tenant that
    /// ends in one of `events` is POSTed there, signed as a pipeline's `notify` is; the secret must be bound to the
    /// url's origin.
    func addWebhookRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        let writers: Set<Role> = [.platformAdmin, .engineer, .tenantAdmin]
        api.get("/tenants/:tenant/webhook") { _, context in
            let tenant = try context.tenant()
            guard let hook = try await store.webhook(tenantId: tenant) else { throw APIError.notFound("webhook of tenant \(tenant)") }
            return JSONResponse.make(Self.webhookValue(hook))
        }
        api.put("/tenants/:tenant/webhook") { request, context in
            let tenant = try context.tenant(allowing: writers)
            let body = try await request.jsonBody(limit: 64 << 10)
            try Self.onlyKeys(body, ["url", "secret", "events", "enabled"])
            guard case .string(let url)? = body["url"] else { throw APIError(.unprocessableContent, "missing", "a URL is required", field: "url") }
            guard case .string(let secret)? = body["secret"] else {
                throw APIError(.unprocessableContent, "missing", "a secret is required, as ${secret:NAME}", field: "secret")
            }
            var events = Self.defaultWebhookEvents
            if let given = body["events"] {
                guard case .array(let items) = given, !items.isEmpty else {
                    throw APIError(.unprocessableContent, "invalid", "must be a non-empty list of run end states", field: "events")
                }
                events = []
                for (i, item) in items.enumerated() {
                    guard let state = item.stringValue.flatMap(RunState.init(rawValue:)), state.isFinished else {
                        throw APIError(.unprocessableContent, "invalid", "must be succeeded, succeeded_with_errors, failed or cancelled",
                                       field: "events[\(i)]")
                    }
                    if !events.contains(state) { events.append(state) }
                }
            }
            var enabled = true
            if let e = body["enabled"] {
                guard case .bool(let b) = e else { throw APIError(.unprocessableContent, "invalid", "must be a boolean", field: "enabled") }
                enabled = b
            }
            let origins = try await secretOrigins(tenant)
            do throws(OnrampError) { try WebhookTarget.check(url: url, secret: secret, origins: origins) } catch {
                throw APIError.invalid(error)
            }
            let hook = WebhookRecord(tenantId: tenant, url: url, secret: secret, events: events, enabled: enabled, updatedAt: Date())
            try await store.saveWebhook(hook)
            return JSONResponse.make(Self.webhookValue(hook))
        }
        api.delete("/tenants/:tenant/webhook") { _, context in
            let tenant = try context.tenant(allowing: writers)
            guard try await store.deleteWebhook(tenantId: tenant) else { throw APIError.notFound("webhook of tenant \(tenant)") }
            return Response(status: .noContent)
        }
    }
}
