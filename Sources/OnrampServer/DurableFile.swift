import Crypto
import Foundation
import OnrampCore
#if canImport(Glibc)
import Glibc
#endif

/// Small files replaced whole and durably (the keyring's, an upload's description).
enum DurableFile {
    /// Writes a temporary file (0600), syncs it, renames it over `path` and syncs the folder (0700); errors are `code`.
    static func write(_ data: Data, to path: String, code: String) throws {
        func failure(_ what: String, _ path: String) -> OnrampError {
            OnrampError(code, "\(what): \(String(cString: strerror(errno)))", at: path)
        }
        let dir = PathText.parent(path)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        guard chmod(dir, 0o700) == 0 else { throw failure("cannot make the folder owner-only", dir) }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw failure("cannot write", temporary) }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, fchmod(fd, 0o600) == 0, fsync(fd) == 0 else {
            let error = failure("cannot write and sync", temporary)
            close(fd)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw failure("cannot rename into place", path) }
        let dirFd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFd >= 0 else { throw failure("cannot open to sync", dir) }
        defer { close(dirFd) }
        guard fsync(dirFd) == 0 else { throw failure("cannot sync", dir) }
    }
}

/// A pushed batch's SHA-256 and whether it is gzip (by its first two bytes), as its bytes go by.
struct BatchDigest {
    private var hash = SHA256()
    private var head: [UInt8] = []

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hash.update(bufferPointer: bytes)
        if head.count < 2 { head += bytes.prefix(2 - head.count) }
    }

    /// The hex SHA-256 and whether the bytes are gzip.
    func finish() -> (sha256: String, gzip: Bool) { (Hex.string(hash.finalize()), head == [0x1f, 0x8b]) }
}
