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
        // Written beside and renamed: a download never finds half a sealed file.
        let out = path + ".sealed.partial"
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
        try output.synchronize()
        guard rename(out, path + ".sealed") == 0 else { throw OnrampError("artifact.write", "cannot rename", at: out) }
        try FileManager.default.removeItem(atPath: path)
    }

    /// The plain content of a sealed artifact, whole.
    public func open(path: String, context: String) throws -> Data {
        try reader(path: path, context: context).readAll()
    }

    /// A sealed artifact opened for reading chunk by chunk (its first chunk checked already).
    public func reader(path: String, context: String) throws -> ArtifactReader {
        try ArtifactReader(sealed: path, context: context, ring: ring)
    }
}
