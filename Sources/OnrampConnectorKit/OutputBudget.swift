import OnrampCore
import Synchronization

/// The bytes a run may write to files (results, error reports, file destinations), shared by every
/// writer of the run; a write past it fails with `run.limit_output`. The same for what a run's file
/// destinations may add to the tenant's file area (`areaQuota`: `file.quota`).
public final class OutputBudget: Sendable {
    public let limit: Int64
    private let code: String
    private let what: String
    private let used = Mutex<Int64>(0)

    public init(limit: Int64) {
        self.limit = limit
        code = "run.limit_output"
        what = "the run's output passed its limit of \(limit) bytes"
    }

    /// What a run may add to the tenant's file area: the quota less what the area holds when the attempt starts.
    public static func areaQuota(remaining: Int64, quota: Int64) -> OutputBudget {
        OutputBudget(limit: remaining, code: "file.quota",
                     what: "the run's files would pass the tenant's file area quota of \(quota >> 20) MiB "
                        + "(the server's --tenant-quota-mb; \(remaining) bytes were free when the run started)")
    }

    private init(limit: Int64, code: String, what: String) {
        self.limit = limit
        self.code = code
        self.what = what
    }

    /// Takes `bytes` from the budget, or throws when that would exceed it.
    public func spend(_ bytes: Int) throws {
        let over = used.withLock { used -> Bool in
            if used + Int64(bytes) > limit { return true }
            used += Int64(bytes)
            return false
        }
        if over { throw OnrampError(code, what) }
    }

    /// Gives back `bytes` (a file a destination truncated).
    public func credit(_ bytes: Int64) { used.withLock { $0 -= bytes } }

    /// Net bytes taken (negative when more was freed than written).
    public var spent: Int64 { used.withLock { $0 } }
}
