import OnrampCore
import Synchronization

/// The bytes a run may write to files (results, error reports, file destinations), shared by every
/// writer of the run; a write past it fails with `run.limit_output`.
public final class OutputBudget: Sendable {
    public let limit: Int64
    private let used = Mutex<Int64>(0)

    public init(limit: Int64) { self.limit = limit }

    /// Takes `bytes` from the budget, or throws when that would exceed it.
    public func spend(_ bytes: Int) throws {
        let over = used.withLock { used -> Bool in
            if used + Int64(bytes) > limit { return true }
            used += Int64(bytes)
            return false
        }
        if over { throw OnrampError("run.limit_output", "the run's output passed its limit of \(limit) bytes") }
    }

    public var spent: Int64 { used.withLock { $0 } }
}
