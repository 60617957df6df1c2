import Dispatch
import Foundation
import OnrampCore

/// Data parallelism for record-at-a-time steps: a batch is cut into contiguous chunks that run on
/// every core, and the chunks' results come back in input order, so output order, error order
/// and error positions are exactly those of a sequential run.
public enum ParallelChunks {
    /// Below this many records per chunk, splitting costs more than it saves.
    static let minimumChunk = 128

    /// How many threads a step may use: `ONRAMP_TRANSFORM_THREADS`, or every core.
    public static let threads: Int = {
        let configured = ProcessInfo.processInfo.environment["ONRAMP_TRANSFORM_THREADS"].flatMap { Int($0) }
        return max(1, configured ?? ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// `body` runs concurrently on disjoint ranges; it may only read what it shares (compiled
    /// expressions and the input are immutable), and each run writes only its own result slot.
    static func map<T>(_ count: Int, _ body: (Range<Int>) -> T) -> [T] {
        let chunks = min(threads, count / minimumChunk)
        guard chunks > 1 else { return [body(0..<count)] }
        var results = [T?](repeating: nil, count: chunks)
        withoutActuallyEscaping(body) { body in
            results.withUnsafeMutableBufferPointer { slots in
                let shared = Unchecked((slots, body))
                DispatchQueue.concurrentPerform(iterations: chunks) { i in
                    shared.value.0[i] = shared.value.1((count * i / chunks)..<(count * (i + 1) / chunks))
                }
            }
        }
        return results.map { $0! }
    }

    private struct Unchecked<V>: @unchecked Sendable {
        let value: V
        init(_ value: V) { self.value = value }
    }

    /// Changes each record in place on all cores; `body` answers false to drop its record (it reported why). A record
    /// whose value nobody else holds is changed without a copy.
    static func update(_ records: inout [Record], errors: inout [RecordError],
                       _ body: (inout Record, inout [RecordError]) -> Bool) {
        let count = records.count
        let parts = records.withUnsafeMutableBufferPointer { buffer in
            let shared = Unchecked(buffer)
            return map(count) { range in
                var dropped: [Int] = []
                var errs: [RecordError] = []
                for i in range where !body(&shared.value[i], &errs) { dropped.append(i) }
                return (dropped, errs)
            }
        }
        var dropped: [Int] = []  // ascending: the chunks are in input order
        for (d, e) in parts {
            errors.append(contentsOf: e)
            dropped += d
        }
        guard !dropped.isEmpty else { return }
        var kept: [Record] = []
        kept.reserveCapacity(count - dropped.count)
        var next = 0
        for (i, r) in records.enumerated() {
            if next < dropped.count, dropped[next] == i { next += 1 } else { kept.append(r) }
        }
        records = kept
    }

    /// Runs `body` per record on all cores; each call may produce output records and errors.
    static func process(_ records: [Record], errors: inout [RecordError],
                        _ body: (Record, inout [Record], inout [RecordError]) -> Void) -> [Record] {
        var parts = map(records.count) { range in
            var out: [Record] = []
            var errs: [RecordError] = []
            out.reserveCapacity(range.count)
            for i in range { body(records[i], &out, &errs) }
            return (out, errs)
        }
        if parts.count == 1 {
            errors.append(contentsOf: parts[0].1)
            return parts[0].0
        }
        // The first chunk's array is taken over (not copied), the others appended to it.
        var out = parts[0].0
        parts[0].0 = []
        out.reserveCapacity(records.count)
        for (i, (o, e)) in parts.enumerated() {
            if i > 0 { out.append(contentsOf: o) }
            errors.append(contentsOf: e)
        }
        return out
    }
}
