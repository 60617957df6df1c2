import Crypto
import Foundation
import OnrampCore

/// Run artifacts (results, error reports, logs) at rest: once a run ends each file is replaced by
/// `<file>.sealed`: `ONRAMPA2`, the 8-byte id of the master key, then AES-256-GCM in 1 MiB chunks
/// under a key derived from that master key (HKDF, "onramp artifacts"). Each chunk authenticates the
/// run, its index and whether it is the last, so chunks cannot be reordered, swapped between runs or
/// cut off. The older `ONRAMPA1` form (no key id) opens with any key of the ring.
public struct ArtifactSealer: Sendable {
    static let magicV1 = Data("ONRAMPA1".utf8)
    static let magic = Data("ONRAMPA2".utf8)
    static let chunkSize = 1 << 20
    let ring: KeyRing

    /// The ring's current key seals; every key of the ring opens what it sealed.
    public init(ring: KeyRing) { self.ring = ring }

    /// `box`'s current key seals; `previous` boxes' keys still open older artifacts.
    public init(box: SecretBox, previous: [SecretBox] = []) {
        let others = ([box] + previous).flatMap { b in b.ring.ids.compactMap { b.ring.key($0) } }
        ring = KeyRing(current: box.ring.current, others: others)
    }

    static func derive(_ master: SymmetricKey) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Data("onramp artifacts".utf8), outputByteCount: 32)
    }

    static func aad(_ context: String, _ index: UInt32, last: Bool) -> Data {
        Data("\(context)#\(index)#\(last ? 1 : 0)".utf8)
    }

    /// Seals `path` into `path.sealed` and removes the plain file.
    public func seal(path: String, context: String) throws {
        guard let input = FileHandle(forReadingAtPath: path) else { return }
        defer { try? input.close() }
        let out = path + ".sealed"
        FileManager.default.createFile(atPath: out, contents: nil, attributes: [.posixPermissions: 0o600])
        guard let output = FileHandle(forWritingAtPath: out) else { throw OnrampError("artifact.write", "cannot write", at: out) }
        defer { try? output.close() }
        output.write(Self.magic + ring.currentId)
        let key = Self.derive(ring.current)
        var index: UInt32 = 0
        var chunk = input.readData(ofLength: Self.chunkSize)
        while true {
            let next = chunk.count == Self.chunkSize ? input.readData(ofLength: Self.chunkSize) : Data()
            let last = next.isEmpty
            let sealed = try AES.GCM.seal(chunk, using: key, authenticating: Self.aad(context, index, last: last)).combined!
            var length = UInt32(sealed.count).bigEndian
            output.write(Data(bytes: &length, count: 4))
            output.write(sealed)
            if last { break }
            chunk = next
            index += 1
        }
        try FileManager.default.removeItem(atPath: path)
    }

    /// The plain content of a sealed artifact.
    public func open(path: String, context: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path),
              data.starts(with: Self.magic) || data.starts(with: Self.magicV1) else {
            throw OnrampError("artifact.format", "not a sealed artifact", at: path)
        }
        var keys = ring.allKeys
        var offset = Self.magic.count
        if data.starts(with: Self.magic) {
            guard data.count >= offset + 8 else { throw OnrampError("artifact.format", "truncated", at: path) }
            let id = Data(data[offset..<offset + 8])
            guard let key = ring.key(id) else {
                throw OnrampError("artifact.key", "sealed with key \(Hex.string(id)), which is not in this keyring",
                                  at: path)
            }
            keys = [key]
            offset += 8
        }
        var chunks: [Data] = []
        while offset < data.count {
            guard offset + 4 <= data.count else { throw OnrampError("artifact.format", "truncated", at: path) }
            let length = Int(data[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            offset += 4
            guard offset + length <= data.count else { throw OnrampError("artifact.format", "truncated", at: path) }
            chunks.append(data[offset..<offset + length])
            offset += length
        }
        for key in keys.map(Self.derive) {
            do {
                var plain = Data()
                for (i, c) in chunks.enumerated() {
                    let box = try AES.GCM.SealedBox(combined: c)
                    plain += try AES.GCM.open(box, using: key, authenticating: Self.aad(context, UInt32(i), last: i == chunks.count - 1))
                }
                return plain
            } catch {
                continue
            }
        }
        if data.starts(with: Self.magic) {
            throw OnrampError("artifact.damaged", "the artifact does not open with its key (changed or cut off)", at: path)
        }
        throw OnrampError("artifact.key", "the artifact does not open with any key of this keyring", at: path)
    }
}
