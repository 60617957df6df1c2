import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A lock on a data directory (`serve.lock`, flock): exclusive for a server on SQLite (one at a time uses it) and
/// for `rotate-key`; shared for servers and workers on a shared store, which use one directory together. Either way
/// `rotate-key` refuses to run while any of them does. The kernel drops the lock when the process dies.
struct DataDirectoryLock {
    let fd: Int32

    init(directory: String, shared: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        fd = open("\(directory)/serve.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ValidationError("cannot open \(directory)/serve.lock: \(String(cString: strerror(errno)))") }
        guard flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0 else {
            close(fd)
            throw ValidationError("another onramp process (a server, or rotate-key) is using \(directory); stop it first")
        }
    }

    func release() { close(fd) }
}
