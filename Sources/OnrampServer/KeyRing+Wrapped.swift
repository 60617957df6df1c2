import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OnrampCore

/// What keeps the ring's keys encrypted at rest (AWS KMS): each key file then holds the key as the wrapper encrypted
/// it (`<id>.kms`, bound to the key's id), never the key itself, and a start asks the wrapper for the keys.
public protocol KeyWrapper: Sendable {
    /// What wraps, for messages (`AWS KMS key alias/onramp`).
    var name: String { get }
    func wrap(_ key: Data, id: Data) async throws -> Data
    func unwrap(_ blob: Data, id: Data) async throws -> Data
}

extension KeyRing {
    static func wrappedPath(_ directory: String, _ id: Data) -> String { "\(folder(directory))/\(Hex.string(id)).kms" }

    /// The ids of the wrapped key files in `<directory>/keys/`.
    static func wrappedIds(directory: String) throws -> [Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder(directory))) ?? []
        return try names.filter { $0.hasSuffix(".kms") }.sorted().map { name in
            guard let id = parseId(String(name.dropLast(4))) else {
                throw OnrampError("key.invalid", "a key file is named after its 16-digit hex id", at: "\(folder(directory))/\(name)")
            }
            return id
        }
    }

    /// The ring of `<directory>/keys/` with every key wrapped by `wrapper`. A first start makes a key and writes it
    /// wrapped; plain key files (and a legacy `master.key`) are wrapped, written as `<id>.kms`, then removed.
    public static func load(directory: String, wrapper: any KeyWrapper,
                            environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> KeyRing {
        guard environment["ONRAMP_MASTER_KEY"] == nil else {
            throw OnrampError("key.invalid", "ONRAMP_MASTER_KEY and a KMS key are both given: the keys come from one of them")
        }
        try FileManager.default.createDirectory(atPath: folder(directory), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        // Servers and workers sharing the directory start together: one at a time wraps, the others then read.
        let lockFd = open("\(folder(directory))/.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lockFd >= 0, flock(lockFd, LOCK_EX) == 0 else {
            throw OnrampError("key.write", "cannot lock the keyring: \(String(cString: strerror(errno)))", at: folder(directory))
        }
        defer { close(lockFd) }
        let pointer = "\(folder(directory))/current"
        let legacy = ["\(directory)/master.key", "\(directory)/master.key.previous"]
        var plain: KeyRing?
        if FileManager.default.fileExists(atPath: pointer) {
            let keys = try readKeys(directory: directory)
            if !keys.isEmpty { plain = KeyRing(currentId: try currentId(pointer), keys: keys) }
        } else if try legacy.contains(where: FileManager.default.fileExists) || !readKeys(directory: directory).isEmpty {
            plain = try create(directory: directory)
        } else {
            let key = SymmetricKey(size: .bits256)
            try await writeWrapped(key, directory: directory, wrapper: wrapper)
            try writeCurrent(id(of: key), directory: directory)
        }
        if let plain {
            // A wrapped file already there (an earlier start, a restore, another KMS key) counts only if it opens as
            // the plain key; otherwise it is written again from the plain key.
            for id in plain.ids {
                let key = plain.keys[id]!
                let path = wrappedPath(directory, id)
                if let blob = FileManager.default.contents(atPath: path),
                   let opened = try? await wrapper.unwrap(blob, id: id), opened == key.withUnsafeBytes({ Data($0) }) {
                    continue
                }
                try? FileManager.default.removeItem(atPath: path)
                try await writeWrapped(key, directory: directory, wrapper: wrapper)
            }
            try writeCurrent(plain.currentId, directory: directory)
        }
        var keys: [Data: SymmetricKey] = [:]
        for id in try wrappedIds(directory: directory) {
            let path = wrappedPath(directory, id)
            guard let blob = FileManager.default.contents(atPath: path), (1...8192).contains(blob.count) else {
                throw OnrampError("key.invalid", "a wrapped key file must hold 1 to 8192 bytes", at: path)
            }
            let bytes: Data
            do { bytes = try await wrapper.unwrap(blob, id: id) } catch let e as OnrampError {
                throw OnrampError(e.code, "\(e.message) (the key file \(Hex.string(id)).kms)", at: path)
            }
            let key = SymmetricKey(data: bytes)
            guard bytes.count == 32, Self.id(of: key) == id else {
                throw OnrampError("key.tampered", "\(wrapper.name) gave back a key that is not the one the file is named after",
                                  at: path)
            }
            keys[id] = key
        }
        if let plain {
            // Every key opened from its wrapped file: the plain copies go (legacy files only when the ring has them).
            for id in plain.ids where keys[id] != nil { try? FileManager.default.removeItem(atPath: keyPath(directory, id)) }
            for path in legacy {
                if let data = FileManager.default.contents(atPath: path), keys[id(of: SymmetricKey(data: data))] != nil {
                    try? FileManager.default.removeItem(atPath: path)
                }
            }
        }
        let current = try currentId(pointer)
        guard keys[current] != nil else {
            throw OnrampError("key.missing", "the current key \(Hex.string(current)) is not in the keyring",
                              at: wrappedPath(directory, current))
        }
        return KeyRing(currentId: current, keys: keys)
    }

    /// Writes `<id>.kms` durably: the key as `wrapper` encrypted it (a file that is there is kept: it never changes).
    static func writeWrapped(_ key: SymmetricKey, directory: String, wrapper: any KeyWrapper) async throws {
        let id = id(of: key)
        let path = wrappedPath(directory, id)
        if FileManager.default.fileExists(atPath: path) { return }
        try writeDurably(try await wrapper.wrap(key.withUnsafeBytes { Data($0) }, id: id), to: path)
    }

    static func currentId(_ pointer: String) throws -> Data {
        let name = ((try? String(contentsOfFile: pointer, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let id = parseId(name) else {
            throw OnrampError("key.invalid", "the current key pointer must hold a 16-digit hex key id", at: pointer)
        }
        return id
    }
}
