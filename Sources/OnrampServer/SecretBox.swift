import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OnrampCore
import OnrampStore

/// Seals secrets with AES-256-GCM under the server's master key. The sealed form is
/// `[1][key id: 8 bytes][nonce|ciphertext|tag]`, and the secret's place (tenant/name) is bound in as
/// authenticated data, so a ciphertext copied to another tenant or name does not open.
public struct SecretBox: Sendable {
    let key: SymmetricKey
    /// The first 8 bytes of SHA-256 of the key: says which key sealed a value.
    public let keyId: Data

    public init(key: SymmetricKey) {
        self.key = key
        keyId = Data(SHA256.hash(data: key.withUnsafeBytes { Data($0) }).prefix(8))
    }

    /// The key from `ONRAMP_MASTER_KEY` (base64 of 32 bytes) or from `<directory>/master.key`, created
    /// on first start with owner-only permissions.
    public static func loadOrCreate(directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SecretBox {
        if let b64 = environment["ONRAMP_MASTER_KEY"] {
            guard let data = Data(base64Encoded: b64), data.count == 32 else {
                throw OnrampError("key.invalid", "ONRAMP_MASTER_KEY must be the base64 of 32 bytes")
            }
            return SecretBox(key: SymmetricKey(data: data))
        }
        let path = "\(directory)/master.key"
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else { throw OnrampError("key.invalid", "the master key file must hold 32 bytes", at: path) }
            return SecretBox(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        try write(key, to: path)
        return SecretBox(key: key)
    }

    /// Writes a key file readable by its owner only, replacing any old one atomically.
    static func write(_ key: SymmetricKey, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let temporary = path + ".new"
        let data = key.withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw OnrampError("key.write", "cannot write the master key", at: temporary)
        }
        guard rename(temporary, path) == 0 else { throw OnrampError("key.write", "cannot replace the master key", at: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    public func seal(_ plaintext: String, context: String) throws -> Data {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key, authenticating: Data(context.utf8))
        return Data([1]) + keyId + box.combined!
    }

    public func open(_ sealed: Data, context: String) throws -> String {
        guard sealed.count > 9, sealed.first == 1 else { throw OnrampError("secret.format", "not a sealed secret", at: context) }
        guard sealed.dropFirst().prefix(8) == keyId else {
            throw OnrampError("secret.key", "sealed with another key; rotate or restore the master key", at: context)
        }
        let box = try AES.GCM.SealedBox(combined: sealed.dropFirst(9))
        return String(decoding: try AES.GCM.open(box, using: key, authenticating: Data(context.utf8)), as: UTF8.self)
    }

    /// The key a rotation replaced (`master.key.previous`), which still opens older run artifacts.
    public static func previous(directory: String) -> SecretBox? {
        guard let data = FileManager.default.contents(atPath: "\(directory)/master.key.previous"), data.count == 32 else { return nil }
        return SecretBox(key: SymmetricKey(data: data))
    }

    /// Re-seals every stored secret under a new key and makes it the key in `directory`.
    public static func rotate(store: any SecretStore, directory: String) async throws -> Int {
        let old = try loadOrCreate(directory: directory, environment: [:])
        let newKey = SymmetricKey(size: .bits256)
        let new = SecretBox(key: newKey)
        var resealed: [SecretRecord] = []
        for s in try await store.secrets(tenantId: nil) {
            let context = "\(s.tenantId)/\(s.name)"
            var r = s
            r.ciphertext = try new.seal(try old.open(s.ciphertext, context: context), context: context)
            resealed.append(r)
        }
        // Keep the old key beside the new one until the store holds only new ciphertexts.
        try write(old.key, to: "\(directory)/master.key.previous")
        try await store.replaceCiphertexts(resealed)
        try write(newKey, to: "\(directory)/master.key")
        return resealed.count
    }
}

/// Opens a tenant's sealed secrets for a run (the worker's `SecretResolver`).
public struct SecretResolution: Sendable {
    let store: any SecretStore
    let box: SecretBox
    public init(store: any SecretStore, box: SecretBox) {
        self.store = store
        self.box = box
    }

    @Sendable public func resolve(_ tenantId: String) async throws -> [String: String] {
        var out: [String: String] = [:]
        for s in try await store.secrets(tenantId: tenantId) { out[s.name] = try box.open(s.ciphertext, context: "\(tenantId)/\(s.name)") }
        return out
    }
}
