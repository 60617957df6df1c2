import Foundation

/// What changed in a store, as announced to every process that shares it.
public enum StoreTopic: String, Sendable, CaseIterable {
    /// A run may have become claimable: one was queued, or one ended or was handed back (freeing its slot).
    case runs
    /// A schedule was created, changed or deleted.
    case schedules
}

/// A store that several processes share (PostgreSQL): they hear each other's changes and elect leaders through it.
/// An embedded store (memory, SQLite) is one process's alone and needs neither.
public protocol SharedStore: Sendable {
    /// Calls `changed` for every change any process announces, until cancelled; throws when the feed breaks
    /// (announcements made while no one listened are lost: a listener that reconnects should look again).
    func listen(_ changed: @escaping @Sendable (StoreTopic) -> Void) async throws

    /// Runs `body` while this process holds the leadership `name`, checked every `check`; returns false at once when
    /// another process holds it, true once `body` returned or the leadership was lost (then `body` is cancelled).
    /// Two leaders can overlap by at most `check` after a network partition, so what a leader does must stay safe
    /// (a schedule slot is claimed by compare-and-set, whoever leads).
    func lead(_ name: String, check: Duration, _ body: @escaping @Sendable () async -> Void) async throws -> Bool
}
