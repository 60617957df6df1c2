import AsyncHTTPClient
import NIOCore

/// Reads a response body under the request's deadline: a server that answers its head in time and then
/// trickles the body is cut off when the deadline passes (the read is cancelled, which closes the connection).
public enum HTTPDeadline {
    /// The deadline passed before the whole answer arrived.
    public struct Exceeded: Error, CustomStringConvertible {
        public let timeout: Duration
        public init(timeout: Duration) { self.timeout = timeout }
        public var description: String { "timed out: no complete answer within \(timeout.components.seconds) s" }
    }

    /// The instant a request started now with `timeout` must be complete by.
    public static func end(after timeout: TimeAmount) -> ContinuousClock.Instant {
        .now + .nanoseconds(timeout.nanoseconds)
    }

    /// `body` collected up to `maxBytes` (`NIOTooManyBytesError` beyond), or `Exceeded` once `end` passes.
    public static func collect(_ body: HTTPClientResponse.Body, upTo maxBytes: Int, by end: ContinuousClock.Instant,
                        timeout: TimeAmount) async throws -> ByteBuffer {
        try await run(by: end, timeout: timeout) { try await body.collect(upTo: maxBytes) }
    }

    /// `work`'s result, or `Exceeded` once `end` passes (`work` is cancelled then).
    public static func run<T: Sendable>(by end: ContinuousClock.Instant, timeout: TimeAmount,
                                 _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(until: end, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw Exceeded(timeout: .nanoseconds(timeout.nanoseconds))
            }
            return result
        }
    }
}
