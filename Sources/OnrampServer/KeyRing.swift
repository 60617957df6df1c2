import Crypto
import Foundation
import OnrampCore

/// The master keys a server knows, by id: `current` seals new secrets and artifacts, every key of
/// the ring opens what it sealed. Loaded from `<data>/keys/` (see `KeyRing+Files.swift`) or from
/// `ONRAMP_MASTER_KEY` as a ring of one.
public struct KeyRing: Sendable {
    /// The id of the key that seals.
    public let currentId: Data
    let keys: [Data: SymmetricKey]

    /// A ring of one key.
    public init(key: SymmetricKey) {
        let id = KeyRing.id(of: key)
        currentId = id
        keys = [id: key]
    }

    /// `current` seals; `others` still open what they sealed.
    public init(current: SymmetricKey, others: [SymmetricKey] = []) {
        var keys: [Data: SymmetricKey] = [:]
        for key in others + [current] { keys[KeyRing.id(of: key)] = key }
        currentId = KeyRing.id(of: current)
        self.keys = keys
    }

    init(currentId: Data, keys: [Data: SymmetricKey]) {
        self.currentId = currentId
        self.keys = keys
    }

    /// The first 8 bytes of SHA-256 of the key: the id sealed values carry.
    public static func id(of key: SymmetricKey) -> Data {
        Data(SHA256.hash(data: key.withUnsafeBytes { Data($0) }).prefix(8))
    }

    public var current: SymmetricKey { keys[currentId]! }

    /// Every key id of the ring, in a stable order.
    public var ids: [Data] { keys.keys.sorted { Hex.string($0) < Hex.string($1) } }

    /// The key with this id, if the ring holds it.
    public func key(_ id: Data) -> SymmetricKey? { keys[Data(id)] }

    /// The ring's keys, the current one first (for formats that do not name their key).
    var allKeys: [SymmetricKey] { [current] + ids.filter { $0 != currentId }.compactMap { keys[$0] } }
}
