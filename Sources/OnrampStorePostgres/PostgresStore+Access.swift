import Foundation
import Logging
import OnrampCore
import OnrampStore
import PostgresNIO

/// Tenants, API keys, people and sessions, and sealed secrets.
extension PostgresStore {
    static func tenant(_ row: PostgresRandomAccessRow) throws -> TenantRecord {
        TenantRecord(id: try row.text("id"), name: try row.text("name"), createdAt: try row.time("created_at"))
    }

    static func key(_ row: PostgresRandomAccessRow) throws -> APIKeyRecord {
        APIKeyRecord(id: try row.text("id"), name: try row.text("name"), role: Role(rawValue: try row.text("role")) ?? .tenantViewer,
                     tenantId: try row.optionalText("tenant_id"), secretHash: try row.text("secret_hash"),
                     createdAt: try row.time("created_at"), revokedAt: try row.optionalTime("revoked_at"))
    }

    public func createTenant(_ t: TenantRecord) async throws -> Bool {
        try await !rows("""
            INSERT INTO tenants VALUES (\(t.id), \(t.name), \(t.createdAt.timeIntervalSince1970)) ON CONFLICT (id) DO NOTHING
            RETURNING 1
            """).isEmpty
    }

    public func tenants() async throws -> [TenantRecord] {
        try await rows("SELECT * FROM tenants ORDER BY id").map(Self.tenant)
    }

    public func tenant(id: String) async throws -> TenantRecord? {
        try await rows("SELECT * FROM tenants WHERE id = \(id)").first.map(Self.tenant)
    }

    public func createKey(_ k: APIKeyRecord) async throws {
        try await client.query("""
            INSERT INTO api_keys VALUES (\(k.id), \(k.name), \(k.role.rawValue), \(k.tenantId), \(k.secretHash),
              \(k.createdAt.timeIntervalSince1970), \(k.revokedAt?.timeIntervalSince1970))
            """, logger: logger)
    }

    public func key(secretHash: String) async throws -> APIKeyRecord? {
        try await rows("SELECT * FROM api_keys WHERE secret_hash = \(secretHash) AND revoked_at IS NULL").first.map(Self.key)
    }

    public func keys(tenantId: String?) async throws -> [APIKeyRecord] {
        try await rows("""
            SELECT * FROM api_keys WHERE (\(tenantId)::text IS NULL OR tenant_id = \(tenantId)) ORDER BY created_at, id
            """).map(Self.key)
    }

    public func revokeKey(id: String, at: Date) async throws -> Bool {
        try await !rows("""
            UPDATE api_keys SET revoked_at = \(at.timeIntervalSince1970) WHERE id = \(id) AND revoked_at IS NULL RETURNING 1
            """).isEmpty
    }

    // MARK: users

    static func user(_ row: PostgresRandomAccessRow) throws -> UserRecord {
        UserRecord(id: try row.text("id"), email: try row.text("email"), role: Role(rawValue: try row.text("role")) ?? .tenantViewer,
                   tenantId: try row.optionalText("tenant_id"), passwordHash: try row.text("password_hash"),
                   createdAt: try row.time("created_at"))
    }

    public func createUser(_ u: UserRecord) async throws -> Bool {
        try await !rows("""
            INSERT INTO users VALUES (\(u.id), \(u.email), \(u.role.rawValue), \(u.tenantId), \(u.passwordHash),
              \(u.createdAt.timeIntervalSince1970)) ON CONFLICT DO NOTHING RETURNING 1
            """).isEmpty
    }

    public func user(email: String) async throws -> UserRecord? {
        try await rows("SELECT * FROM users WHERE lower(email) = lower(\(email))").first.map(Self.user)
    }

    public func user(id: String) async throws -> UserRecord? {
        try await rows("SELECT * FROM users WHERE id = \(id)").first.map(Self.user)
    }

    public func users(tenantId: String?) async throws -> [UserRecord] {
        try await rows("""
            SELECT * FROM users WHERE (\(tenantId)::text IS NULL OR tenant_id = \(tenantId)) ORDER BY email
            """).map(Self.user)
    }

    public func createSession(_ s: SessionRecord) async throws {
        try await client.query("""
            INSERT INTO sessions VALUES (\(s.secretHash), \(s.userId), \(s.csrfToken), \(s.expiresAt.timeIntervalSince1970))
            """, logger: logger)
    }

    public func session(secretHash: String, now: Date) async throws -> SessionRecord? {
        try await rows("""
            SELECT * FROM sessions WHERE secret_hash = \(secretHash) AND expires_at > \(now.timeIntervalSince1970)
            """).first.map {
            SessionRecord(secretHash: try $0.text("secret_hash"), userId: try $0.text("user_id"),
                          csrfToken: try $0.text("csrf_token"), expiresAt: try $0.time("expires_at"))
        }
    }

    public func deleteSession(secretHash: String) async throws {
        try await client.query("DELETE FROM sessions WHERE secret_hash = \(secretHash)", logger: logger)
    }

    public func setPassword(userId: String, passwordHash: String, keeping: String?) async throws -> Bool {
        try await transaction { c in
            guard try await !rows("UPDATE users SET password_hash = \(passwordHash) WHERE id = \(userId) RETURNING 1", on: c)
                .isEmpty else { return false }
            try await c.query("DELETE FROM sessions WHERE user_id = \(userId) AND secret_hash IS DISTINCT FROM \(keeping)",
                              logger: logger)
            return true
        }
    }

    // MARK: secrets

    public func putSecret(_ s: SecretRecord) async throws {
        let origins = JSONWriter.string(.array(s.origins.map(Value.string)))
        try await client.query("""
            INSERT INTO secrets (tenant_id, name, ciphertext, updated_at, origins)
            VALUES (\(s.tenantId), \(s.name), \(s.ciphertext), \(s.updatedAt.timeIntervalSince1970), \(origins))
            ON CONFLICT (tenant_id, name) DO UPDATE SET ciphertext = excluded.ciphertext,
                updated_at = excluded.updated_at, origins = excluded.origins
            """, logger: logger)
    }

    public func secrets(tenantId: String?) async throws -> [SecretRecord] {
        try await rows("""
            SELECT * FROM secrets WHERE (\(tenantId)::text IS NULL OR tenant_id = \(tenantId)) ORDER BY tenant_id, name
            """).map {
            SecretRecord(tenantId: try $0.text("tenant_id"), name: try $0.text("name"), ciphertext: try $0.bytes("ciphertext"),
                         updatedAt: try $0.time("updated_at"),
                         origins: (Self.json(try $0.text("origins"))?.arrayValue ?? []).compactMap(\.stringValue))
        }
    }

    public func deleteSecret(tenantId: String, name: String) async throws -> Bool {
        try await !rows("DELETE FROM secrets WHERE tenant_id = \(tenantId) AND name = \(name) RETURNING 1").isEmpty
    }

    public func replaceCiphertexts(_ secrets: [SecretRecord]) async throws {
        try await transaction { c in
            for s in secrets {
                try await c.query("""
                    UPDATE secrets SET ciphertext = \(s.ciphertext) WHERE tenant_id = \(s.tenantId) AND name = \(s.name)
                    """, logger: logger)
            }
        }
    }
}
