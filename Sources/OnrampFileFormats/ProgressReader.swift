import OnrampConnectorKit
import Synchronization

/// Bytes a read has taken from its files so far: the reader's file handles add, its progress wrapper reads.
final class ReadCounter: Sendable {
    private let bytes = Mutex<Int64>(0)
    func add(_ n: Int) { bytes.withLock { $0 += Int64(n) } }
    var value: Int64 { bytes.withLock { $0 } }
}

/// A file read whose batches say how many of its files' bytes (`total`: their sizes on disk) it has taken.
struct ProgressReader: BatchReader {
    var inner: any BatchReader
    let counter: ReadCounter
    let total: Int64

    mutating func next() async throws -> SourceBatch? {
        guard var batch = try await inner.next() else { return nil }
        if total > 0 { batch.progress = ReadProgress(done: min(counter.value, total), total: total) }
        return batch
    }

    mutating func close() async { await inner.close() }
}
