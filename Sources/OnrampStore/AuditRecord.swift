import Foundation

/// One change made by a person or a key: who, when, what (action on a resource), in which tenant,
/// and the answer's status. Secrets appear by name only; no request body is kept.
public struct AuditRecord: Sendable, Equatable {
    public enum ActorKind: String, Sendable {
        case apiKey = "api_key"
        case user
    }

    public var id: String
    /// Assigned by the store when appended: increases with every entry, so it orders the log.
    public var sequence: Int64
    public var at: Date
    /// Nil for platform-wide changes (templates, a tenant's creation is filed under the new tenant).
    public var tenantId: String?
    public var actorKind: ActorKind
    /// The key's id or the person's user id.
    public var actorId: String
    /// The key's name or the person's e-mail.
    public var actorName: String
    /// `create`, `put`, `update`, `delete`, `trigger`, `cancel`, `login`, `logout`.
    public var action: String
    /// `tenant`, `user`, `api_key`, `connection`, `secret`, `pipeline`, `template`, `schedule`, `run`, `file`, `session`.
    public var resourceType: String
    public var resourceId: String?
    public var status: Int

    public init(id: String, at: Date, tenantId: String?, actorKind: ActorKind, actorId: String, actorName: String,
                action: String, resourceType: String, resourceId: String?, status: Int, sequence: Int64 = 0) {
        self.id = id
        self.sequence = sequence
        self.at = at
        self.tenantId = tenantId
        self.actorKind = actorKind
        self.actorId = actorId
        self.actorName = actorName
        self.action = action
        self.resourceType = resourceType
        self.resourceId = resourceId
        self.status = status
    }
}

/// The append-only audit log.
public protocol AuditStore: Sendable {
    /// Appends the entry (its `sequence` is ignored: the store assigns the next one).
    func appendAudit(_ entry: AuditRecord) async throws
    /// Newest first (by sequence); `tenantId` nil means every tenant; `before` continues a page with
    /// the entries appended before that sequence number.
    func auditEntries(tenantId: String?, limit: Int, before: Int64?) async throws -> [AuditRecord]
}
