import Crypto
import Foundation
import OnrampCore

/// Run artifacts (results, error reports, logs) at rest: once a run ends each file is replaced by
/// `<file>.sealed`, AES-256-GCM in 1 MiB chunks under a key derived from the master key (HKDF,
/// "onramp artifacts"). Each chunk authenticates the run, its index and whether it is the last, so
/// chunks cannot be reordered, swapped between runs or cut off.
public struct ArtifactSealer: Sendable {
    static let magic = Data("ONRAMPA1".utf8)
    static let chunkSize = 1 << 20
    let keys: [SymmetricKey]

    /// `box` seals; `previous` master keys (after a rotation) still open older artifacts.
    public init(box: SecretBox, previous: [SecretBox] = []) {
        keys = ([box] + previous).map { ArtifactSealer.derive($0.key) }
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
        output.write(Self.magic)
        var index: UInt32 = 0
        var chunk = input.readData(ofLength: Self.chunkSize)
        while true {
            let next = chunk.count == Self.chunkSize ? input.readData(ofLength: Self.chunkSize) : Data()
            let last = next.isEmpty
            let sealed = try AES.GCM.seal(chunk, using: keys[0], authenticating: Self.aad(context, index, last: last)).combined!
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
        guard let data = FileManager.default.contents(atPath: path), data.starts(with: Self.magic) else {
            throw OnrampError("artifact.format", "not a sealed artifact", at: path)
        }
        var chunks: [Data] = []
        var offset = Self.magic.count
        while offset < data.count {
            guard offset + 4 <= data.count else { throw OnrampError("artifact.format", "truncated", at: path) }
            let length = Int(data[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            offset += 4
            guard offset + length <= data.count else { throw OnrampError("artifact.format", "truncated", at: path) }
            chunks.append(data[offset..<offset + length])
            offset += length
        }
        for key in keys {
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
        throw OnrampError("artifact.key", "the artifact does not open with the current or previous master key", at: path)
    }
}
