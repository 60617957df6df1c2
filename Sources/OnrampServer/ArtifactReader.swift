import Crypto
import Foundation
import OnrampCore

/// A run artifact read chunk by chunk (at most 1 MiB of plain content at a time): a sealed one opened and checked
/// chunk by chunk, or a plain file. Used by one task at a time; the file closes with the reader.
public final class ArtifactReader: @unchecked Sendable {
    let handle: FileHandle
    let path: String
    let size: UInt64
    /// Sealed: the derived key, the context and the next chunk's index; nil for a plain file.
    var sealed: (key: SymmetricKey, context: String)?
    var index: UInt32 = 0
    var first: Data?
    var done = false
    /// A line begun in the last piece `nextLines` read.
    var pending = Data()

    /// A plain file as it is.
    public init(plain path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw OnrampError("artifact.read", "cannot read the artifact", at: path)
        }
        self.handle = handle
        self.path = path
        size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: 0)
    }

    /// A sealed artifact: its header and first chunk are checked here, so a missing key (`artifact.key`), another
    /// form (`artifact.format`) or a changed first chunk (`artifact.damaged`) throws before anything is sent.
    convenience init(sealed path: String, context: String, ring: KeyRing) throws {
        try self.init(plain: path)
        let magic = try read(ArtifactSealer.magic.count)
        var keys: [SymmetricKey]
        switch magic {
        case ArtifactSealer.magic:
            let id = try read(8)
            guard id.count == 8 else { throw OnrampError("artifact.format", "truncated", at: path) }
            guard let key = ring.key(id) else {
                throw OnrampError("artifact.key", "sealed with key \(Hex.string(id)), which is not in this keyring", at: path)
            }
            keys = [key]
        case ArtifactSealer.magicV1:
            keys = ring.allKeys
        default:
            throw OnrampError("artifact.format", "not a sealed artifact", at: path)
        }
        let chunk = try readChunk()
        for key in keys.map(ArtifactSealer.derive) {
            if let plain = try? Self.open(chunk.sealed, key, context, index: 0, last: chunk.last) {
                sealed = (key, context)
                first = plain
                index = 1
                done = chunk.last
                return
            }
        }
        if magic == ArtifactSealer.magic {
            throw OnrampError("artifact.damaged", "the artifact does not open with its key (changed or cut off)", at: path)
        }
        throw OnrampError("artifact.key", "the artifact does not open with any key of this keyring", at: path)
    }

    deinit { try? handle.close() }

    static func open(_ sealed: Data, _ key: SymmetricKey, _ context: String, index: UInt32, last: Bool) throws -> Data {
        try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key,
                         authenticating: ArtifactSealer.aad(context, index, last: last))
    }

    /// Up to `count` bytes (fewer at the end of the file); a read error is `artifact.read`, never a trap.
    func read(_ count: Int) throws -> Data {
        do { return try handle.read(upToCount: count) ?? Data() } catch {
            throw OnrampError("artifact.read", "cannot read the artifact: \(error)", at: path)
        }
    }

    /// The next length-prefixed sealed chunk and whether the file ends after it.
    func readChunk() throws -> (sealed: Data, last: Bool) {
        let prefix = try read(4)
        guard prefix.count == 4 else { throw OnrampError("artifact.format", "truncated", at: path) }
        let length = Int(prefix.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        // A sealed chunk is its content (at most chunkSize) plus nonce and tag: a larger length is not one of ours.
        guard (28...ArtifactSealer.chunkSize + 28).contains(length) else {
            throw OnrampError("artifact.format", "a chunk of \(length) bytes", at: path)
        }
        let sealed = try read(length)
        guard sealed.count == length else { throw OnrampError("artifact.format", "truncated", at: path) }
        return (sealed, ((try? handle.offset()) ?? 0) >= size)
    }

    /// The next piece of plain content; nil at the end. A later chunk that does not open is `artifact.damaged`.
    public func next() throws -> Data? {
        if let f = first {
            first = nil
            return f
        }
        guard !done else { return nil }
        guard let (key, context) = sealed else {
            let data = try read(ArtifactSealer.chunkSize)
            done = data.count < ArtifactSealer.chunkSize
            return data.isEmpty ? nil : data
        }
        let chunk = try readChunk()
        defer { index += 1 }
        done = chunk.last
        do { return try Self.open(chunk.sealed, key, context, index: index, last: chunk.last) } catch {
            throw OnrampError("artifact.damaged", "chunk \(index) does not open (changed or cut off)", at: path)
        }
    }

    /// Everything left, at once.
    public func readAll() throws -> Data {
        var all = Data()
        while let piece = try next() { all += piece }
        return all
    }

    /// The complete lines (without their newline) of the next piece, a last line without one included at the end;
    /// nil at the end. Empty lines are left out.
    public func nextLines() throws -> [Data]? {
        while true {
            guard let piece = try next() else {
                defer { pending = Data() }
                return pending.isEmpty ? nil : [pending]
            }
            // Only the new piece is searched: a long line is scanned once, not again with every piece.
            var lines: [Data] = []
            var search = piece.startIndex
            while let newline = piece[search...].firstIndex(of: 0x0A) {
                let line = search == piece.startIndex ? pending + piece[search..<newline] : Data(piece[search..<newline])
                if !line.isEmpty { lines.append(line) }
                search = piece.index(after: newline)
            }
            if search == piece.startIndex {
                pending += piece
                continue
            }
            pending = Data(piece[search...])
            if !lines.isEmpty { return lines }
        }
    }
}
