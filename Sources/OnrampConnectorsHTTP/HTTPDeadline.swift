import AsyncHTTPClient
import NIOCore

/// Reads a response body under the request's deadline: a server that answers its head in time and then
/// trickles the body is cut off when the deadline passes (the read is cancelled, which closes the connection).
enum HTTPDeadline {
    /// The deadline passed before the whole answer arrived.
    struct Exceeded: Error, CustomStringConvertible {
        let timeout: Duration
        var description: String { "timed out: no complete answer within \(timeout.components.seconds) s" }
    }

    /// The instant a request started now with `timeout` must be complete by.
    static func end(after timeout: TimeAmount) -> ContinuousClock.Instant {
        .now + .nanoseconds(timeout.nanoseconds)
    }

    /// `body` collected up to `maxBytes` (`NIOTooManyBytesError` beyond), or `Exceeded` once `end` passes.
    static func collect(_ body: HTTPClientResponse.Body, upTo maxBytes: Int, by end: ContinuousClock.Instant,
                        timeout: TimeAmount) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await body.collect(upTo: maxBytes) }
            group.addTask {
                try await Task.sleep(until: end, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else {
                throw Exceeded(timeout: .nanoseconds(timeout.nanoseconds))
            }
            return buffer
        }
    }
}
