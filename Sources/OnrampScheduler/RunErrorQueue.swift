import OnrampEngine
import OnrampStore
import OnrampCore

/// What the worker does with a run's failed records beside its error report (the server's error queue, which
/// seals their values): the composition root provides it.
public protocol RunErrorQueue: Sendable {
    /// The records a replay run processes: the open entries it took, opened, in report order.
    func replayRecords(for run: RunRecord) async throws -> [ReplayRecord]
    /// Before a finished run's outcome is recorded: queues the failed records of its (plain) NDJSON error report and,
    /// for a replay, resolves the entries whose records got through. Returns what the summary says of the queue.
    func runEnded(_ run: RunRecord, state: RunState, errorsNDJSON: String?) async throws -> Value
}
