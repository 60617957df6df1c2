import Foundation
import Synchronization

/// Bytes from a pipe, read on a thread of their own into at most `capacity` chunks: when the consumer falls
/// behind the thread stops reading, so the plugin blocks on its write (backpressure) and memory stays bounded.
final class ChunkQueue: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var ended = false
        var waiter: CheckedContinuation<[UInt8]?, Never>?
        var waitingSince: ContinuousClock.Instant?
        var abandoned = false
    }

    private let state = Mutex(State())
    private let capacity: Int
    /// Where the reading thread waits while `capacity` chunks are queued.
    private let room = NSCondition()

    init(capacity: Int = 8) { self.capacity = capacity }

    private func waitForRoom() {
        room.lock()
        while state.withLock({ $0.chunks.count >= capacity && !$0.abandoned }) { room.wait() }
        room.unlock()
    }

    private func madeRoom() {
        room.lock()
        room.signal()
        room.unlock()
    }

    /// Starts the reading thread on `fd` (closed at end of file).
    func start(reading handle: FileHandle, onChunk: @escaping @Sendable () -> Void = {}) {
        let thread = Thread { [self] in
            let fd = handle.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                waitForRoom()
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                onChunk()
                push(Array(buffer[..<n]))
            }
            try? handle.close()
            end()
        }
        thread.start()
    }

    private func push(_ chunk: [UInt8]) {
        let waiter = state.withLock { s -> CheckedContinuation<[UInt8]?, Never>? in
            if s.abandoned { return nil }
            if let w = s.waiter {
                s.waiter = nil
                s.waitingSince = nil
                return w
            }
            s.chunks.append(chunk)
            return nil
        }
        waiter?.resume(returning: chunk)
    }

    private func end() {
        let waiter = state.withLock { s -> CheckedContinuation<[UInt8]?, Never>? in
            s.ended = true
            defer { s.waiter = nil; s.waitingSince = nil }
            return s.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next chunk, or nil once the pipe is closed and drained.
    func next() async -> [UInt8]? {
        await withCheckedContinuation { c in
            let ready = state.withLock { s -> [UInt8]?? in
                if !s.chunks.isEmpty { return .some(s.chunks.removeFirst()) }
                if s.ended { return .some(nil) }
                s.waiter = c
                s.waitingSince = .now
                return nil
            }
            if let ready {
                if ready != nil { madeRoom() }
                c.resume(returning: ready)
            }
        }
    }

    /// The consumer is gone: what is queued is dropped and the thread reads the pipe to its end without keeping it.
    func abandon() {
        state.withLock { s in
            s.abandoned = true
            s.chunks = []
        }
        madeRoom()
    }

    /// Since when the consumer has been waiting for bytes (nil: it is not waiting).
    var waitingSince: ContinuousClock.Instant? { state.withLock { $0.waitingSince } }
}
