import Crypto
import Foundation
import OnrampCore
import OnrampStore

extension KeyRing {
    /// The steps of a rotation, in order; a crash after any of them leaves every secret and artifact
    /// openable with the ring on disk.
    public enum RotationStep: String, Sendable, CaseIterable {
        /// The new key's file is written and synced; nothing is sealed with it yet.
        case keyWritten
        /// Every secret is re-sealed under the new key (one store transaction); `current` is unchanged.
        case secretsResealed
        /// `current` names the new key.
        case currentMoved
    }

    /// Adds a new key to the ring in `directory`, re-seals every stored secret under it, then makes it
    /// current. Old keys stay in the ring (older artifacts and any secret a crash left behind still
    /// open). `after` runs after each step (tests use it to stop there). Returns the new ring and
    /// the number of secrets re-sealed.
    /// With `wrapper`, the ring is the wrapped one and the new key is written wrapped.
    public static func rotate(store: any SecretStore, directory: String, wrapper: (any KeyWrapper)? = nil,
                              after: (RotationStep) throws -> Void = { _ in }) async throws -> (ring: KeyRing, resealed: Int) {
        let newKey = SymmetricKey(size: .bits256)
        let old: KeyRing
        if let wrapper {
            old = try await load(directory: directory, wrapper: wrapper, environment: [:])
            try await writeWrapped(newKey, directory: directory, wrapper: wrapper)
        } else {
            old = try load(directory: directory, environment: [:])
            try writeKey(newKey, directory: directory)
        }
        try after(.keyWritten)
        let ring = KeyRing(currentId: id(of: newKey), keys: old.keys.merging([id(of: newKey): newKey]) { a, _ in a })
        let opener = SecretBox(ring: old), sealer = SecretBox(ring: ring)
        var resealed: [SecretRecord] = []
        for s in try await store.secrets(tenantId: nil) {
            let context = "\(s.tenantId)/\(s.name)"
            var r = s
            r.ciphertext = try sealer.seal(try opener.open(s.ciphertext, context: context), context: context)
            resealed.append(r)
        }
        try await store.replaceCiphertexts(resealed)
        try after(.secretsResealed)
        try writeCurrent(ring.currentId, directory: directory)
        try after(.currentMoved)
        return (ring, resealed.count)
    }
}
