import Foundation
import OnrampCore

/// A tenant's own webhook: every run of the tenant that ends in one of `events` is POSTed to `url`, signed with the
/// tenant secret that `secret` names (`${secret:NAME}`, bound to the url's origin), as a pipeline's `notify` is.
public struct WebhookRecord: Sendable, Equatable {
    public var tenantId: String
    public var url: String
    public var secret: String
    public var events: [RunState]
    public var enabled: Bool
    public var updatedAt: Date
    public init(tenantId: String, url: String, secret: String, events: [RunState], enabled: Bool, updatedAt: Date) {
        self.tenantId = tenantId
        self.url = url
        self.secret = secret
        self.events = events
        self.enabled = enabled
        self.updatedAt = updatedAt
    }

    /// Whether a run that ended in `state` is sent.
    public func sends(_ state: RunState) -> Bool { enabled && events.contains(state) }
}

public protocol WebhookStore: Sendable {
    func saveWebhook(_ webhook: WebhookRecord) async throws
    func webhook(tenantId: String) async throws -> WebhookRecord?
    func deleteWebhook(tenantId: String) async throws -> Bool
}
