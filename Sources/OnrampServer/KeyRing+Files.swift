import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OnrampCore

/// The keyring on disk: `<data>/keys/` (0700) holds `<key id>.key` files (32 bytes, 0600, the name
/// is the hex of the key's id) and `current`, the hex id of the key that seals. Every file is
/// written to a temporary name, synced, renamed into place and its directory synced.
extension KeyRing {
    static func folder(_ directory: String) -> String { "\(directory)/keys" }
    static func keyPath(_ directory: String, _ id: Data) -> String { "\(folder(directory))/\(Hex.string(id)).key" }

    /// The ring from `ONRAMP_MASTER_KEY` (base64 of 32 bytes, a ring of one) or from
    /// `<directory>/keys/`, created on first start; an existing `master.key` (and
    /// `master.key.previous`) is moved into the ring then.
    public static func load(directory: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KeyRing {
        if let b64 = environment["ONRAMP_MASTER_KEY"] {
            guard let data = Data(base64Encoded: b64), data.count == 32 else {
                throw OnrampError("key.invalid", "ONRAMP_MASTER_KEY must be the base64 of 32 bytes")
            }
            return KeyRing(key: SymmetricKey(data: data))
        }
        if let wrapped = try wrappedIds(directory: directory).first {
            throw OnrampError("key.wrapped", "the keyring is encrypted with a KMS key: start with --kms-key",
                              at: wrappedPath(directory, wrapped))
        }
        let pointer = "\(folder(directory))/current"
        guard FileManager.default.fileExists(atPath: pointer) else { return try create(directory: directory) }
        let keys = try readKeys(directory: directory)
        let id = try currentId(pointer)
        guard keys[id] != nil else {
            throw OnrampError("key.missing", "the current key \(Hex.string(id)) is not in the keyring",
                              at: keyPath(directory, id))
        }
        return KeyRing(currentId: id, keys: keys)
    }

    /// Every `<id>.key` file of the ring, each checked against its name.
    static func readKeys(directory: String) throws -> [Data: SymmetricKey] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder(directory))) ?? []
        var keys: [Data: SymmetricKey] = [:]
        for name in names where name.hasSuffix(".key") {
            let path = "\(folder(directory))/\(name)"
            guard let id = parseId(String(name.dropLast(4))) else {
                throw OnrampError("key.invalid", "a key file is named after its 16-digit hex id", at: path)
            }
            guard let data = FileManager.default.contents(atPath: path), data.count == 32 else {
                throw OnrampError("key.invalid", "a key file must hold 32 bytes", at: path)
            }
            let key = SymmetricKey(data: data)
            guard Self.id(of: key) == id else {
                throw OnrampError("key.tampered", "the key file does not hold the key its name says (changed)", at: path)
            }
            keys[id] = key
        }
        return keys
    }

    /// The first ring of a data directory: the legacy `master.key` (current) and `master.key.previous`,
    /// or a new key; any key files a crashed earlier start left are kept.
    static func create(directory: String) throws -> KeyRing {
        let legacy = "\(directory)/master.key", previous = "\(directory)/master.key.previous"
        var keys = try readKeys(directory: directory)
        var current: SymmetricKey?
        for path in [previous, legacy] {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            guard data.count == 32 else {
                throw OnrampError("key.invalid", "the master key file must hold 32 bytes", at: path)
            }
            current = SymmetricKey(data: data)
            keys[id(of: current!)] = current
        }
        let currentKey = current ?? SymmetricKey(size: .bits256)
        keys[id(of: currentKey)] = currentKey
        let ring = KeyRing(currentId: id(of: currentKey), keys: keys)
        for id in ring.ids { try writeKey(ring.keys[id]!, directory: directory) }
        try writeCurrent(ring.currentId, directory: directory)
        // The ring now holds them (synced); the legacy files would be one more copy to protect.
        for path in [legacy, previous] { try? FileManager.default.removeItem(atPath: path) }
        return ring
    }

    static func parseId(_ text: String) -> Data? {
        let digits = Array(text.utf8)
        guard digits.count == 16 else { return nil }
        var out = Data()
        for i in stride(from: 0, to: 16, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return Hex.string(out) == text ? out : nil
    }

    /// Writes `<id>.key` durably (a key file never changes once written).
    static func writeKey(_ key: SymmetricKey, directory: String) throws {
        let path = keyPath(directory, id(of: key))
        let bytes = key.withUnsafeBytes { Data($0) }
        if FileManager.default.contents(atPath: path) == bytes { return }
        try writeDurably(bytes, to: path)
    }

    /// Points `current` at `id`, atomically and durably.
    static func writeCurrent(_ id: Data, directory: String) throws {
        try writeDurably(Data((Hex.string(id) + "\n").utf8), to: "\(folder(directory))/current")
    }

    static func writeDurably(_ data: Data, to path: String) throws { try DurableFile.write(data, to: path, code: "key.write") }

    private static func failure(_ what: String, _ path: String) -> OnrampError {
        OnrampError("key.write", "\(what): \(String(cString: strerror(errno)))", at: path)
    }
}
