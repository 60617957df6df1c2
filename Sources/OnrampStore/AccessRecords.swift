import Foundation

/// Who may do what: the platform's roles, from the installation's admins to a tenant's viewers.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Runs the installation: tenants, keys for anyone.
    case platformAdmin = "platform_admin"
    /// Builds for any tenant: pipelines, runs.
    case engineer
    /// A customer's admin: their tenant's runs and keys.
    case tenantAdmin = "tenant_admin"
    /// A customer's viewer: reads their tenant's pipelines, runs, errors and results.
    case tenantViewer = "tenant_viewer"

    public var isPlatformWide: Bool { self == .platformAdmin || self == .engineer }
}

public struct TenantRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Date
    public init(id: String, name: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// An API key as stored: only a hash of the secret, never the secret.
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: Role
    /// Nil for platform-wide roles.
    public var tenantId: String?
    public var secretHash: String
    public var createdAt: Date
    public var revokedAt: Date?
    public init(id: String, name: String, role: Role, tenantId: String?, secretHash: String, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.tenantId = tenantId
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// Tenants and API keys.
public protocol AccessStore: Sendable {
    func createTenant(_ tenant: TenantRecord) async throws -> Bool
    func tenants() async throws -> [TenantRecord]
    func tenant(id: String) async throws -> TenantRecord?
    func createKey(_ key: APIKeyRecord) async throws
    /// The live (not revoked) key with this secret hash.
    func key(secretHash: String) async throws -> APIKeyRecord?
    func keys(tenantId: String?) async throws -> [APIKeyRecord]
    func revokeKey(id: String, at: Date) async throws -> Bool
}
