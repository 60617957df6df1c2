import Foundation

/// A tenant's named secret, stored only as ciphertext (sealed by the server's key).
public struct SecretRecord: Sendable, Equatable {
    public var tenantId: String
    public var name: String
    public var ciphertext: Data
    public var updatedAt: Date
    /// Where the secret may be sent (`scheme://host[:port]`); empty: bound to none. Written with the value only.
    public var origins: [String]
    public init(tenantId: String, name: String, ciphertext: Data, updatedAt: Date, origins: [String] = []) {
        self.tenantId = tenantId
        self.name = name
        self.ciphertext = ciphertext
        self.updatedAt = updatedAt
        self.origins = origins
    }
}

public protocol SecretStore: Sendable {
    func putSecret(_ secret: SecretRecord) async throws
    /// Every secret of a tenant (nil: of all tenants, for key rotation).
    func secrets(tenantId: String?) async throws -> [SecretRecord]
    func deleteSecret(tenantId: String, name: String) async throws -> Bool
    /// Replaces every ciphertext at once (key rotation): all or nothing.
    func replaceCiphertexts(_ secrets: [SecretRecord]) async throws
}
