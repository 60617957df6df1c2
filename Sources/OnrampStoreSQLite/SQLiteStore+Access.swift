import Foundation
import GRDB
import OnrampCore
import OnrampStore

/// Tenants, API keys, people and sessions, and sealed secrets.
extension SQLiteStore {
    static func key(_ row: Row) -> APIKeyRecord {
        APIKeyRecord(id: row["id"], name: row["name"], role: Role(rawValue: row["role"]) ?? .tenantViewer, tenantId: row["tenant_id"],
                     secretHash: row["secret_hash"], createdAt: Date(timeIntervalSince1970: row["created_at"]), revokedAt: date(row["revoked_at"]))
    }

    // MARK: access

    public func createTenant(_ t: TenantRecord) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "INSERT INTO tenants VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING", arguments: [t.id, t.name, t.createdAt.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    public func tenants() async throws -> [TenantRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tenants ORDER BY id").map {
                TenantRecord(id: $0["id"], name: $0["name"], createdAt: Date(timeIntervalSince1970: $0["created_at"]))
            }
        }
    }

    public func tenant(id: String) async throws -> TenantRecord? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM tenants WHERE id = ?", arguments: [id]).map {
                TenantRecord(id: $0["id"], name: $0["name"], createdAt: Date(timeIntervalSince1970: $0["created_at"]))
            }
        }
    }

    public func createKey(_ k: APIKeyRecord) async throws {
        try await db.write { db in
            try db.execute(sql: "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?)", arguments: [
                k.id, k.name, k.role.rawValue, k.tenantId, k.secretHash, k.createdAt.timeIntervalSince1970, k.revokedAt?.timeIntervalSince1970,
            ])
        }
    }

    public func key(secretHash: String) async throws -> APIKeyRecord? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE secret_hash = ? AND revoked_at IS NULL", arguments: [secretHash]).map(SQLiteStore.key)
        }
    }

    public func keys(tenantId: String?) async throws -> [APIKeyRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys WHERE (? IS NULL OR tenant_id = ?) ORDER BY created_at, id",
                             arguments: [tenantId, tenantId]).map(SQLiteStore.key)
        }
    }

    public func revokeKey(id: String, at: Date) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [at.timeIntervalSince1970, id])
            return db.changesCount == 1
        }
    }

    // MARK: users

    static func user(_ row: Row) -> UserRecord {
        UserRecord(id: row["id"], email: row["email"], role: Role(rawValue: row["role"]) ?? .tenantViewer, tenantId: row["tenant_id"],
                   passwordHash: row["password_hash"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    public func createUser(_ u: UserRecord) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                           arguments: [u.id, u.email, u.role.rawValue, u.tenantId, u.passwordHash, u.createdAt.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    public func user(email: String) async throws -> UserRecord? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM users WHERE email = ?", arguments: [email]).map(SQLiteStore.user) }
    }

    public func user(id: String) async throws -> UserRecord? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id]).map(SQLiteStore.user) }
    }

    public func users(tenantId: String?) async throws -> [UserRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM users WHERE (? IS NULL OR tenant_id = ?) ORDER BY email", arguments: [tenantId, tenantId]).map(SQLiteStore.user)
        }
    }

    public func createSession(_ s: SessionRecord) async throws {
        try await db.write { db in
            try db.execute(sql: "INSERT INTO sessions VALUES (?, ?, ?, ?)", arguments: [s.secretHash, s.userId, s.csrfToken, s.expiresAt.timeIntervalSince1970])
        }
    }

    public func session(secretHash: String, now: Date) async throws -> SessionRecord? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sessions WHERE secret_hash = ? AND expires_at > ?", arguments: [secretHash, now.timeIntervalSince1970]).map {
                SessionRecord(secretHash: $0["secret_hash"], userId: $0["user_id"], csrfToken: $0["csrf_token"], expiresAt: Date(timeIntervalSince1970: $0["expires_at"]))
            }
        }
    }

    public func deleteSession(secretHash: String) async throws {
        try await db.write { db in try db.execute(sql: "DELETE FROM sessions WHERE secret_hash = ?", arguments: [secretHash]) }
    }

    public func setPassword(userId: String, passwordHash: String, keeping: String?) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE id = ?", arguments: [passwordHash, userId])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "DELETE FROM sessions WHERE user_id = ? AND secret_hash IS NOT ?", arguments: [userId, keeping])
            return true
        }
    }

    // MARK: secrets

    public func putSecret(_ s: SecretRecord) async throws {
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO secrets (tenant_id, name, ciphertext, updated_at, origins) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (tenant_id, name) DO UPDATE SET ciphertext = excluded.ciphertext,
                    updated_at = excluded.updated_at, origins = excluded.origins
                """, arguments: [s.tenantId, s.name, s.ciphertext, s.updatedAt.timeIntervalSince1970,
                                 JSONWriter.string(.array(s.origins.map(Value.string)))])
        }
    }

    public func secrets(tenantId: String?) async throws -> [SecretRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM secrets WHERE (? IS NULL OR tenant_id = ?) ORDER BY tenant_id, name", arguments: [tenantId, tenantId]).map {
                SecretRecord(tenantId: $0["tenant_id"], name: $0["name"], ciphertext: $0["ciphertext"],
                             updatedAt: Date(timeIntervalSince1970: $0["updated_at"]),
                             origins: Self.origins($0["origins"]))
            }
        }
    }

    /// A secret's origins from their JSON column (a list of strings).
    static func origins(_ text: String) -> [String] {
        ((try? JSONParser.parse(text))?.arrayValue ?? []).compactMap(\.stringValue)
    }

    public func deleteSecret(tenantId: String, name: String) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM secrets WHERE tenant_id = ? AND name = ?", arguments: [tenantId, name])
            return db.changesCount == 1
        }
    }

    public func replaceCiphertexts(_ secrets: [SecretRecord]) async throws {
        try await db.write { db in
            for s in secrets {
                try db.execute(sql: "UPDATE secrets SET ciphertext = ? WHERE tenant_id = ? AND name = ?", arguments: [s.ciphertext, s.tenantId, s.name])
            }
        }
    }
}
