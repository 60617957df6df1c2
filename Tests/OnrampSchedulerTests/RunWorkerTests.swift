import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampEngine
import OnrampScheduler
import OnrampStore
import Synchronization
import Testing

@Suite struct RunWorkerTests {
    static func setUp(rows: Int) throws -> (URL, Value) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-worker-\(UUID().uuidString)")
        let files = dir.appendingPathComponent("tenants/acme/files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        var csv = "id,amount\n"
        for i in 0..<rows { csv += "\(i),\(i).5\n" }
        try csv.write(to: files.appendingPathComponent("in-1.csv"), atomically: true, encoding: .utf8)
        // Paths are the tenant's: relative to its file area under the data directory.
        let document: Value = [
            "version": 1, "name": "copy",
            "source": ["connector": "csv", "config": ["path": "in-*.csv"], "incremental": ["mode": "new_files"]],
            "steps": [["set": ["amount": "$number(amount)"]]],
            "destination": ["connector": "file", "config": ["path": "out.ndjson"]],
            "notify": ["url": "https://hooks.example.invalid/onramp", "secret": "s"],
        ]
        return (dir, document)
    }

    static func registry() -> ConnectorRegistry {
        var r = ConnectorRegistry()
        FileConnectors.register(into: &r)
        return r
    }

    /// What a test receiver got (url, secret, payload), and whether it answers 2xx.
    final class Receiver: Sendable {
        let sent = Mutex<[(String, String, Value)]>([])
        let answering: Mutex<Bool>
        init(answering: Bool = true) { self.answering = Mutex(answering) }
        var all: [(String, String, Value)] { sent.withLock { $0 } }
    }

    /// A notifier for `store`'s runs delivering to `receiver`; run it beside the worker.
    static func notifier(_ store: MemoryStore, _ options: RunWorker.Options, secrets: RunWorker.SecretResolver? = nil,
                         receiver: Receiver) -> RunNotifier {
        var notices = RunNotifier.Options()
        notices.firstDelay = 0.05
        notices.maxDelay = 0.2
        notices.poll = 0.5
        let resolver = RunResolver(store: store, registry: registry(), policy: options.policy, secrets: secrets)
        return RunNotifier(store: store, options: notices, targets: resolver.noticeTargets) { payload, notify, id in
            #expect(id == "\(payload["run_id"]?.stringValue ?? ""):pipeline" || id == "\(payload["run_id"]?.stringValue ?? ""):tenant")
            guard receiver.answering.withLock({ $0 }) else { return "answered 503" }
            receiver.sent.withLock { $0.append((notify.url, notify.secret, payload)) }
            return nil
        }
    }

    static func waitUntil(_ condition: @Sendable () async throws -> Bool) async throws {
        for _ in 0..<1500 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out")
    }

    @Test func runsQueuedRunsAndResumesIncrementally() async throws {
        let (dir, document) = try Self.setUp(rows: 10)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryStore()
        let p = await store.savePipeline(tenantId: "acme", name: "copy", document: document, at: Date())
        var options = RunWorker.Options(dataDirectory: dir.path)
        // Long enough that a full test run, which keeps both concurrency threads busy for seconds, does not starve
        // the heartbeats into a takeover.
        options.lease = 30
        let receiver = Receiver()
        let notifier = Self.notifier(store, options, receiver: receiver)
        let worker = RunWorker(store: store, registry: Self.registry(), options: options, notifier: notifier)
        let task = Task { try await worker.run() }
        let notifying = Task { try await notifier.run() }
        defer { task.cancel(); notifying.cancel() }
        await store.enqueue(RunRecord(id: "r1", tenantId: "acme", pipelineId: p.pipelineId, pipelineVersion: 1, trigger: "manual", createdAt: Date()))
        worker.wake()
        try await Self.waitUntil { await store.run(id: "r1")?.state.isFinished == true }
        let r1 = await store.run(id: "r1")
        #expect(r1?.state == .succeeded)
        #expect(r1?.summary?["records_written"] == .number(10))
        try await Self.waitUntil { await store.run(id: "r1")?.notice?.state == .delivered }
        let (url, _, first) = try #require(receiver.all.first)
        #expect(url == "https://hooks.example.invalid/onramp")
        #expect(first["run_id"] == "r1" && first["state"] == "succeeded" && first["results_path"] == nil && first["log_path"] == nil)
        // The file was committed: a second run reads nothing new; a full re-sync reads it again.
        await store.enqueue(RunRecord(id: "r2", tenantId: "acme", pipelineId: p.pipelineId, pipelineVersion: 1, trigger: "manual", createdAt: Date()))
        await store.enqueue(RunRecord(id: "r3", tenantId: "acme", pipelineId: p.pipelineId, pipelineVersion: 1, trigger: "manual",
                                      fullResync: true, createdAt: Date().addingTimeInterval(1)))
        worker.wake()
        try await Self.waitUntil {
            let r2 = await store.run(id: "r2"), r3 = await store.run(id: "r3")
            return r2?.state.isFinished == true && r3?.state.isFinished == true
        }
        #expect(await store.run(id: "r2")?.summary?["records_read"] == .number(0))
        #expect(await store.run(id: "r3")?.summary?["records_read"] == .number(10))
    }

    @Test func takesOverARunWhoseWorkerDied() async throws {
        let (dir, document) = try Self.setUp(rows: 5)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryStore()
        let p = await store.savePipeline(tenantId: "acme", name: "copy", document: document, at: Date())
        await store.enqueue(RunRecord(id: "r1", tenantId: "acme", pipelineId: p.pipelineId, pipelineVersion: 1, trigger: "manual", createdAt: Date()))
        // A worker claims it and dies (never heartbeats).
        _ = try await store.claim(worker: "dead", now: Date(), lease: 1, perTenantLimit: 2)
        var options = RunWorker.Options(dataDirectory: dir.path)
        // The dead worker's lease (1 s) runs out fast; this worker's own is long enough for a loaded machine.
        options.lease = 30
        let worker = RunWorker(store: store, registry: Self.registry(), options: options)
        let task = Task { try await worker.run() }
        defer { task.cancel() }
        try await Self.waitUntil { await store.run(id: "r1")?.state.isFinished == true }
        let r = await store.run(id: "r1")
        #expect(r?.state == .succeeded && r?.attempts == 2, "\(String(describing: r))")
    }

    @Test func cancelStopsARunningRunAtABatchBoundary() async throws {
        let (dir, document) = try Self.setUp(rows: 50_000)
        defer { try? FileManager.default.removeItem(at: dir) }
        var small = document.objectValue!
        small["batch_size"] = 10
        let store = MemoryStore()
        let p = await store.savePipeline(tenantId: "acme", name: "copy", document: .object(small), at: Date())
        await store.enqueue(RunRecord(id: "r1", tenantId: "acme", pipelineId: p.pipelineId, pipelineVersion: 1, trigger: "manual", createdAt: Date()))
        // Running (held by a worker whose lease has already run out) with a cancel requested: the
        // worker that takes it over stops after its first batch, whatever the machine's speed.
        _ = try await store.claim(worker: "gone", now: Date(), lease: 0, perTenantLimit: 2)
        #expect(await store.requestCancel(runId: "r1")?.cancelRequested == true)
        let worker = RunWorker(store: store, registry: Self.registry(), options: RunWorker.Options(dataDirectory: dir.path))
        let task = Task { try await worker.run() }
        defer { task.cancel() }
        try await Self.waitUntil { await store.run(id: "r1")?.state.isFinished == true }
        let r = await store.run(id: "r1")
        #expect(r?.state == .cancelled)
        #expect((r?.summary?["records_read"]?.numberValue ?? 0) < 50_000)
    }

    @Test func cancelStopsAQueuedRun() async throws {
        let store = MemoryStore()
        await store.enqueue(RunRecord(id: "r1", tenantId: "acme", pipelineId: "p", pipelineVersion: 1, trigger: "manual", createdAt: Date()))
        #expect(await store.requestCancel(runId: "r1")?.state == .cancelled)
        #expect(try await store.claim(worker: "w", now: Date(), lease: 5, perTenantLimit: 2) == nil)
    }

    /// An executor whose attempts all die, as a trapping expression kills its child process.
    struct DyingExecutor: RunExecutor {
        func execute(_ request: RunAttemptRequest, control: AttemptControl) async -> AttemptOutcome {
            .died("worker process died: signal 4 (attempt \(request.attempt))")
        }
    }

    @Test func aRunWhoseAttemptsDieEndsFailedAfterMaxAttemptsWithEveryReason() async throws {
        let (dir, document) = try Self.setUp(rows: 3)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryStore()
        let p = await store.savePipeline(tenantId: "acme", name: "copy", document: document, at: Date())
        var options = RunWorker.Options(dataDirectory: dir.path)
        options.maxAttempts = 3
        // The receiver is down at first: the notice is retried until it answers.
        let receiver = Receiver(answering: false)
        let notifier = Self.notifier(store, options, receiver: receiver)
        let worker = RunWorker(store: store, registry: Self.registry(), options: options, executor: DyingExecutor(), notifier: notifier)
        let task = Task { try await worker.run() }
        let notifying = Task { try await notifier.run() }
        defer { task.cancel(); notifying.cancel() }
        await store.enqueue(RunRecord(id: "r1", tenantId: "acme", pipelineId: p.pipelineId, pipelineVersion: 1, trigger: "manual", createdAt: Date()))
        worker.wake()
        try await Self.waitUntil { await store.run(id: "r1")?.state.isFinished == true }
        let r = try #require(await store.run(id: "r1"))
        #expect(r.state == .failed && r.attempts == 3)
        #expect(r.attemptErrors == (1...3).map { "attempt \($0): worker process died: signal 4 (attempt \($0))" })
        #expect(r.summary?["failure_reason"]?.stringValue?.hasPrefix("gave up after 3 attempt(s)") == true)
        // Every attempt's reason is in the run's log too.
        let log = try String(contentsOfFile: dir.path + "/runs/r1/run.log", encoding: .utf8)
        #expect((1...3).allSatisfy { log.contains("attempt \($0) failed") })
        // A run given up after its attempts died sends its webhook too, once the receiver answers.
        try await Self.waitUntil { await store.run(id: "r1")?.notice?.attempts ?? 0 >= 2 }
        #expect(await store.run(id: "r1")?.notice?.lastError?.contains("answered 503") == true)
        receiver.answering.withLock { $0 = true }
        try await Self.waitUntil { await store.run(id: "r1")?.notice?.state == .delivered }
        let delivered = receiver.all
        #expect(delivered.count == 1 && delivered.first?.2["state"] == "failed")
        #expect(delivered.first?.2["failure_reason"]?.stringValue?.hasPrefix("gave up after 3 attempt(s)") == true)
    }

    /// The in-process executor, telling the test when an attempt starts and going on only when the test
    /// says so (no polling, which a loaded machine can starve).
    struct SignallingExecutor: RunExecutor {
        let inner: InProcessRunExecutor
        let started: AsyncStream<Void>.Continuation
        let go: AsyncStream<Void>
        func execute(_ request: RunAttemptRequest, control: AttemptControl) async -> AttemptOutcome {
            started.yield()
            var wait = go.makeAsyncIterator()
            await wait.next()
            return await inner.execute(request, control: control)
        }
    }

    @Test func aDrainHandsARunningRunBackAtABatchBoundary() async throws {
        let (dir, document) = try Self.setUp(rows: 200_000)
        defer { try? FileManager.default.removeItem(at: dir) }
        var small = document.objectValue!
        small["batch_size"] = 10
        let store = MemoryStore()
        let p = await store.savePipeline(tenantId: "acme", name: "copy", document: .object(small), at: Date())
        let (started, signal) = AsyncStream<Void>.makeStream()
        let (go, proceed) = AsyncStream<Void>.makeStream()
        let executor = SignallingExecutor(inner: InProcessRunExecutor(store: store, registry: Self.registry()), started: signal, go: go)
        let worker = RunWorker(store: store, registry: Self.registry(), options: RunWorker.Options(dataDirectory: dir.path),
                               executor: executor)
        let task = Task { try await worker.run() }
        defer { task.cancel() }
        await store.enqueue(RunRecord(id: "r1", tenantId: "acme", pipelineId: p.pipelineId, pipelineVersion: 1, trigger: "manual", createdAt: Date()))
        worker.wake()
        var iterator = started.makeAsyncIterator()
        await iterator.next()
        worker.drain()
        proceed.yield()
        #expect(worker.isDraining)
        try await Self.waitUntil { await store.run(id: "r1")?.state == .queued }
        let r = try #require(await store.run(id: "r1"))
        #expect(r.summary == nil)
        // Handed back without spending an attempt, and nothing claims it while draining.
        #expect(r.attempts == 0 && r.leaseOwner == nil && r.attemptErrors.isEmpty)
        try await Task.sleep(for: .milliseconds(200))
        #expect(await store.run(id: "r1")?.state == .queued)
    }
}

extension RunWorkerTests {
    /// An error queue that, while a run's outcome is being recorded, waits (up to 30 s) for the run's lease to be
    /// extended: the proof that the worker still heartbeats then.
    final class WatchingErrorQueue: RunErrorQueue {
        let store: MemoryStore
        let sawHeartbeat = Mutex(false)
        init(store: MemoryStore) { self.store = store }

        func replayRecords(for run: RunRecord) async throws -> [ReplayRecord] { [] }
        func runEnded(_ run: RunRecord, state: RunState, errorsNDJSON: String?) async throws -> Value {
            let start = await store.run(id: run.id)?.leaseExpiresAt ?? .distantPast
            for _ in 0..<300 {
                try await Task.sleep(for: .milliseconds(100))
                if let now = await store.run(id: run.id)?.leaseExpiresAt, now > start {
                    sawHeartbeat.withLock { $0 = true }
                    break
                }
            }
            return ["queued": 0, "not_queued": 0]
        }
    }

    /// Recording an outcome (queueing failed records, sealing reports) may outlast the lease left after the run's
    /// last heartbeat: the worker keeps heartbeating until the outcome is stored.
    @Test func theLeaseIsKeptWhileAnOutcomeIsRecorded() async throws {
        let (dir, document) = try Self.setUp(rows: 3)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryStore()
        let p = await store.savePipeline(tenantId: "acme", name: "copy", document: document, at: Date())
        var options = RunWorker.Options(dataDirectory: dir.path)
        options.lease = 3
        let queue = WatchingErrorQueue(store: store)
        let worker = RunWorker(store: store, registry: Self.registry(), options: options, errorQueue: queue)
        let task = Task { try await worker.run() }
        defer { task.cancel() }
        await store.enqueue(RunRecord(id: "slow", tenantId: "acme", pipelineId: p.pipelineId, pipelineVersion: 1,
                                      trigger: "manual", createdAt: Date()))
        worker.wake()
        try await Self.waitUntil { await store.run(id: "slow")?.state.isFinished == true }
        #expect(queue.sawHeartbeat.withLock { $0 }, "no heartbeat while the outcome was recorded")
        #expect(await store.run(id: "slow")?.state == .succeeded)
    }
}
