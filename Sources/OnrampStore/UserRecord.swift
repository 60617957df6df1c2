import Foundation

/// A person who signs in with a password (programs use API keys).
public struct UserRecord: Sendable, Equatable {
    public var id: String
    public var email: String
    public var role: Role
    public var tenantId: String?
    /// bcrypt hash of the password.
    public var passwordHash: String
    public var createdAt: Date
    public init(id: String, email: String, role: Role, tenantId: String?, passwordHash: String, createdAt: Date) {
        self.id = id
        self.email = email
        self.role = role
        self.tenantId = tenantId
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }
}

/// A signed-in session: the cookie's secret is stored hashed; the CSRF token must accompany writes.
public struct SessionRecord: Sendable, Equatable {
    public var secretHash: String
    public var userId: String
    public var csrfToken: String
    public var expiresAt: Date
    public init(secretHash: String, userId: String, csrfToken: String, expiresAt: Date) {
        self.secretHash = secretHash
        self.userId = userId
        self.csrfToken = csrfToken
        self.expiresAt = expiresAt
    }
}

public protocol UserStore: Sendable {
    /// False when the e-mail is taken.
    func createUser(_ user: UserRecord) async throws -> Bool
    func user(email: String) async throws -> UserRecord?
    func user(id: String) async throws -> UserRecord?
    func users(tenantId: String?) async throws -> [UserRecord]
    func createSession(_ session: SessionRecord) async throws
    /// The live session with this secret hash at `now`.
    func session(secretHash: String, now: Date) async throws -> SessionRecord?
    func deleteSession(secretHash: String) async throws
    /// Replaces a user's password hash and ends every session of theirs but `keeping` (a secret hash); false when
    /// there is no such user. Both happen together.
    func setPassword(userId: String, passwordHash: String, keeping: String?) async throws -> Bool
}
