import Foundation
import OnrampCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The bytes each tenant's file area may hold (`--tenant-quota-mb`), and a usage figure per tenant kept in
/// memory: measured once at start (`reconcile`), then moved by uploads, deletes and runs, so no request walks
/// the area. Between starts the figure is what the server saw: files changed behind its back (by the operator,
/// or by a run whose process died before it reported) are counted again at the next start.
public final class TenantQuota: Sendable {
    public let limit: Int64
    private let usage = Mutex<[String: Int64]>([:])

    public init(limit: Int64) { self.limit = limit }

    /// The bytes the tenant's area holds, as counted.
    public func used(_ tenant: String) -> Int64 { usage.withLock { $0[tenant] ?? 0 } }

    /// What the tenant may still write.
    public func remaining(_ tenant: String) -> Int64 { max(0, limit - used(tenant)) }

    /// Counts `bytes` more for the tenant, or throws `file.quota` (counting nothing) when that passes the limit.
    public func reserve(_ tenant: String, _ bytes: Int64) throws {
        let refused: Int64? = usage.withLock { all in
            let now = all[tenant] ?? 0
            if bytes > 0 && now + bytes > limit { return now }
            all[tenant] = now + bytes
            return nil
        }
        if let refused { throw exceeded(tenant, used: refused) }
    }

    /// Runs `change` (a replacement or removal of a file: check and act) under the quota's lock and moves the
    /// tenant's usage by the bytes it answers, so that two changes of one file never both count its old size.
    public func change(_ tenant: String, _ change: () throws -> Int64) throws {
        try usage.withLock { u in
            let delta = try change()
            u[tenant, default: 0] = max(0, u[tenant, default: 0] + delta)
        }
    }

    /// Moves the count by `delta` (negative: freed), never below zero.
    public func add(_ tenant: String, _ delta: Int64) {
        usage.withLock { $0[tenant] = max(0, ($0[tenant] ?? 0) + delta) }
    }

    public func exceeded(_ tenant: String, used: Int64) -> OnrampError {
        OnrampError("file.quota", "the tenant's file area is limited to \(Self.mib(limit)) (the server's "
                    + "--tenant-quota-mb) and holds \(Self.mib(used))")
    }

    static func mib(_ bytes: Int64) -> String {
        let tenths = (bytes * 10 + (1 << 19)) >> 20
        return "\(tenths / 10).\(tenths % 10) MiB"
    }

    /// Measures every tenant's area under `<data>/tenants/` (regular files only; links are not followed)
    /// and removes the upload temporaries a killed server left (`.upload-*`, `incoming-*.upload`).
    /// Returns the temporaries removed.
    @discardableResult
    public func reconcile(dataDirectory: String) -> Int {
        let tenants = (try? FileManager.default.contentsOfDirectory(atPath: "\(dataDirectory)/tenants")) ?? []
        var swept = 0
        var measured: [String: Int64] = [:]
        for tenant in tenants {
            let root = TenantFileArea.root(dataDirectory: dataDirectory, tenant: tenant)
            guard TenantFileArea.kind(root) == .directory else { continue }
            measured[tenant] = Self.measure(root, swept: &swept)
        }
        usage.withLock { $0 = measured }
        return swept
    }

    static func isUploadTemporary(_ name: String) -> Bool {
        name.hasPrefix(".upload-") || (name.hasPrefix("incoming-") && name.hasSuffix(".upload"))
    }

    private static func measure(_ folder: String, swept: inout Int) -> Int64 {
        guard let dir = opendir(folder) else { return 0 }
        defer { closedir(dir) }
        var total: Int64 = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let path = folder + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: total += measure(path, swept: &swept)
            case S_IFREG:
                if isUploadTemporary(name), unlink(path) == 0 {
                    swept += 1
                } else {
                    total += Int64(st.st_size)
                }
            default: continue
            }
        }
        return total
    }
}
