import Crypto
import Foundation
import OnrampCore
import OnrampEngine
import OnrampStore

/// Seals secrets with AES-256-GCM under the keyring's current key. The sealed form is
/// `[1][key id: 8 bytes][nonce|ciphertext|tag]`, and the secret's place (tenant/name) is bound in as
/// authenticated data, so a ciphertext copied to another tenant or name does not open. A sealed
/// value opens with whichever key of the ring its id names.
public struct SecretBox: Sendable {
    public let ring: KeyRing

    public init(ring: KeyRing) { self.ring = ring }

    /// A box with a ring of one key.
    public init(key: SymmetricKey) { ring = KeyRing(key: key) }

    /// The id of the key that seals.
    public var keyId: Data { ring.currentId }

    public func seal(_ plaintext: String, context: String) throws -> Data {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: ring.current, authenticating: Data(context.utf8))
        return Data([1]) + ring.currentId + box.combined!
    }

    public func open(_ sealed: Data, context: String) throws -> String {
        guard sealed.count > 9, sealed.first == 1 else {
            throw OnrampError("secret.format", "not a sealed secret", at: context)
        }
        let id = Data(sealed.dropFirst().prefix(8))
        guard let key = ring.key(id) else {
            throw OnrampError("secret.key", "sealed with key \(Hex.string(id)), which is not in this keyring; "
                              + "restore its key file", at: context)
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.dropFirst(9))
            let plain = try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw OnrampError("secret.unreadable", "the sealed secret does not open (changed, or copied from elsewhere)",
                              at: context)
        }
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

    @Sendable public func resolve(_ tenantId: String) async throws -> [String: TenantSecret] {
        var out: [String: TenantSecret] = [:]
        for s in try await store.secrets(tenantId: tenantId) {
            let value = try box.open(s.ciphertext, context: "\(tenantId)/\(s.name)")
            out[s.name] = TenantSecret(value: value, origins: s.origins)
        }
        return out
    }
}
