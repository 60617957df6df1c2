import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import Synchronization
import Testing

/// The engine closes a source's reader once on every path: finished, failed mid-read, stopped.
@Suite struct ReaderCloseTests {
    final class Log: Sendable {
        let closes = Mutex(0)
    }

    struct CountingSource: Source {
        let log: Log
        let failAt: Int?

        func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader { Reader(log: log, failAt: failAt) }

        struct Reader: BatchReader {
            let log: Log
            let failAt: Int?
            var served = 0

            mutating func next() async throws -> SourceBatch? {
                served += 1
                if served == failAt { throw OnrampError("test.read", "the source broke") }
                return served > 3 ? nil : SourceBatch(records: [Record(["id": .number(Double(served))])])
            }

            mutating func close() async { log.closes.withLock { $0 += 1 } }
        }
    }

    func run(failAt: Int?, stop: Bool) async throws -> (RunSummary, Int) {
        let log = Log()
        var registry = TestRegistry.all
        registry.register(SourceSpec(name: "counting", summary: "test", configSchema: ["type": "object"]) { _, _, _ in
            CountingSource(log: log, failAt: failAt)
        })
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-close-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = try PipelineLoader.parse("""
        version: 1
        name: close
        source: {connector: counting, config: {}}
        destination: {connector: file, config: {path: "\(dir.path)/out.ndjson"}}
        """)
        var runner = PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                                    checkpoints: FileCheckpointStore(directory: dir.path), outputDirectory: dir.path)
        if stop { runner.stopRequested = { .cancelled } }
        let summary = await runner.run()
        return (summary, log.closes.withLock { $0 })
    }

    @Test func closedOnceWhenTheReadFinishes() async throws {
        let (summary, closes) = try await run(failAt: nil, stop: false)
        #expect(summary.status == .succeeded && summary.recordsRead == 3)
        #expect(closes == 1)
    }

    @Test func closedOnceWhenTheReadFails() async throws {
        let (summary, closes) = try await run(failAt: 2, stop: false)
        #expect(summary.status == .failed)
        #expect(closes == 1)
    }

    @Test func closedOnceWhenTheRunIsStopped() async throws {
        let (summary, closes) = try await run(failAt: nil, stop: true)
        #expect(summary.status == .cancelled)
        #expect(closes == 1)
    }
}
