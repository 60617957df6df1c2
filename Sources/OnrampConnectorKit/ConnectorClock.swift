import Foundation

/// Time as a connector sees it: the wall clock (signing dates, names, `Retry-After` dates) and waiting (backoff).
/// Tests give one that records waits instead of waiting, or a fixed date.
public struct ConnectorClock: Sendable {
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    public static let system = ConnectorClock(now: { Date() }, sleep: { try await Task.sleep(for: $0) })
}
