import Foundation
import Logging
import Metrics
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampStore
import ServiceLifecycle
import Synchronization

/// A pool of `concurrency` workers that claim queued runs from the store, run each attempt through a
/// `RunExecutor` (by default in a child process) with a lease kept alive by heartbeats from this process,
/// and record the outcome. An attempt that dies is retried up to `maxAttempts`; a run whose worker died
/// is taken over once its lease expires and resumes from the last committed checkpoint. On graceful
/// shutdown no new run is claimed and running attempts stop at their next batch boundary (after
/// `shutdownGrace` seconds) and are handed back to the queue.
public final class RunWorker: Service, Sendable {
    public struct Options: Sendable {
        public var concurrency = 2
        public var perTenantLimit = 2
        public var lease: TimeInterval = 30
        public var maxAttempts = 3
        /// Seconds running attempts may go on after a shutdown signal before they are handed back.
        public var shutdownGrace: Double = 0
        public var limits = RunLimits()
        public var dataDirectory: String
        public var policy: TenantPolicy
        /// The tenants' file area quota and usage (shared with the files API); nil: no quota.
        public var quota: TenantQuota?
        /// The most pushed batches, and bytes of them, one run reads (at least one batch); a run that stopped at
        /// either queues the next.
        public var pushBatchesPerRun = 1000
        public var pushBytesPerRun: Int64 = 1 << 30
        public var workerId = "worker-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        public init(dataDirectory: String, policy: TenantPolicy? = nil) {
            self.dataDirectory = dataDirectory
            self.policy = policy ?? TenantPolicy(dataDirectory: dataDirectory)
        }
    }

    let store: any OnrampStore
    let registry: ConnectorRegistry
    public let options: Options
    let logger: Logger
    let executor: any RunExecutor
    /// Told when a run ended, to deliver its webhooks.
    let notifier: RunNotifier?
    /// A tenant's secrets in clear, for `${secret:NAME}` in its pipelines.
    public typealias SecretResolver = @Sendable (_ tenantId: String) async throws -> [String: TenantSecret]
    let secrets: SecretResolver?
    /// Seals a finished run's files at rest (and stores them where downloads find them): the run id, the attempt, the
    /// summary key (`results_path`, …) and the file, for each artifact.
    public typealias ArtifactSealing = @Sendable (_ runId: String, _ attempt: Int, _ key: String, _ path: String) async throws
        -> Void
    let sealArtifact: ArtifactSealing?
    /// Writes a pushed batch's plain bytes (as received) to a new file at the path.
    public typealias BatchUnsealing = @Sendable (_ batch: PushBatchRecord, _ path: String) async throws -> Void
    let unsealBatch: BatchUnsealing?
    let errorQueue: (any RunErrorQueue)?
    private let doorbell = Doorbell()
    private let active = Mutex<[RunFence: AttemptControl]>([:])
    private let drainingFlag = Mutex(false)

    public init(store: any OnrampStore, registry: ConnectorRegistry, options: Options, logger: Logger = Logger(label: "onramp.worker"),
                executor: (any RunExecutor)? = nil, secrets: SecretResolver? = nil, sealArtifact: ArtifactSealing? = nil,
                errorQueue: (any RunErrorQueue)? = nil, notifier: RunNotifier? = nil, unsealBatch: BatchUnsealing? = nil) {
        self.sealArtifact = sealArtifact
        self.unsealBatch = unsealBatch
        self.errorQueue = errorQueue
        self.store = store
        self.registry = registry
        self.options = options
        self.logger = logger
        self.executor = executor ?? InProcessRunExecutor(store: store, registry: registry, logger: logger)
        self.secrets = secrets
        self.notifier = notifier
    }

    /// How this worker resolves a run's document.
    public var resolver: RunResolver { RunResolver(store: store, registry: registry, policy: options.policy, secrets: secrets) }

    /// Tells idle workers there may be work (a run was enqueued).
    public func wake() { Task { await doorbell.ring() } }

    /// True from the shutdown signal on: no new runs are claimed (`/readyz` answers 503).
    public var isDraining: Bool { drainingFlag.withLock { $0 } }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for i in 0..<options.concurrency {
                    group.addTask { await self.loop(slot: i) }
                }
                if options.concurrency == 0 {
                    // An API-only process: stay up (a returning service stops its group) until shutdown.
                    group.addTask { while !Task.isCancelled, await self.doorbell.isOpen { await self.doorbell.wait(timeout: 3600) } }
                }
            }
        } onGracefulShutdown: {
            self.drain()
        }
        logger.info("worker stopped", metadata: ["worker": "\(options.workerId)"])
    }

    /// Stops claiming, then (at once, or after the grace period) asks every running attempt to hand its
    /// run back at its next batch boundary.
    public func drain() {
        drainingFlag.withLock { $0 = true }
        let running = active.withLock { $0.count }
        logger.info("shutting down: no new runs are claimed", metadata: ["running": "\(running)",
                                                                         "grace_seconds": "\(options.shutdownGrace)"])
        if options.shutdownGrace <= 0 || running == 0 { handBackRunning() }
        Task {
            await doorbell.close()
            if options.shutdownGrace > 0, running > 0 {
                try? await Task.sleep(for: .seconds(options.shutdownGrace))
                handBackRunning()
            }
        }
    }

    private func handBackRunning() {
        let controls = active.withLock { Array($0.values) }
        if !controls.isEmpty {
            logger.info("handing back running runs at their next batch boundary", metadata: ["runs": "\(controls.count)"])
        }
        for control in controls { control.requestHandBack() }
    }

    private func loop(slot: Int) async {
        let worker = "\(options.workerId)/\(slot)"
        let policy = ClaimPolicy(lease: options.lease, perTenantLimit: options.perTenantLimit, maxAttempts: options.maxAttempts)
        while !Task.isCancelled, await doorbell.isOpen {
            do {
                if let run = try await store.claim(worker: worker, now: Date(), policy: policy), let fence = run.fence {
                    await execute(run, fence: fence)
                    continue
                }
            } catch {
                logger.error("claim failed", metadata: ["error": "\(error)"])
            }
            // Nothing to do: sleep until woken, until a run held back is due, or until a lease held elsewhere could
            // have expired.
            var timeout = options.lease
            if let due = try? await store.nextHeldBack(after: Date()) {
                timeout = min(timeout, max(0.05, due.timeIntervalSinceNow + 0.01))
            }
            await doorbell.wait(timeout: timeout)
        }
    }

    /// The attempt as an executor runs it: the tenant's document resolved under the tenant policy.
    func prepare(_ run: RunRecord, fence: RunFence) async throws -> RunAttemptRequest {
        if let refusal = try await store.pipelineTests(pipelineId: run.pipelineId, version: run.pipelineVersion)?.refusal {
            throw OnrampError("run.tests_required", refusal)
        }
        let (resolved, tenantSecrets) = try await resolver.resolve(run)
        var request = RunAttemptRequest(
            runId: run.id, tenantId: run.tenantId, pipelineId: run.pipelineId, worker: fence.worker, attempt: fence.attempt,
            fullResync: run.fullResync, document: JSONWriter.string(resolved.document), dataDirectory: options.dataDirectory,
            files: options.policy.fileArea(tenant: run.tenantId), egress: options.policy.egress, limits: options.limits,
            redact: tenantSecrets.values.map(\.value))
        if let quota = options.quota {
            request.limits.areaQuotaBytes = quota.limit
            request.limits.areaFreeBytes = quota.remaining(run.tenantId)
        }
        if run.trigger == RunRecord.replayTrigger {
            // Empty when an earlier attempt resolved them all (it died before recording its outcome).
            request.replay = try await errorQueue?.replayRecords(for: run) ?? []
        } else if resolved.spec.source.connector == PushedBatch.connector {
            request.pushed = try await unsealPushed(run, attempt: fence.attempt, into: request.pushFolder)
        }
        return request
    }


    func execute(_ run: RunRecord, fence: RunFence) async {
        var log = logger
        log[metadataKey: "run_id"] = "\(run.id)"
        log[metadataKey: "tenant_id"] = "\(run.tenantId)"
        log.info("run claimed", metadata: ["pipeline_id": "\(run.pipelineId)", "version": "\(run.pipelineVersion)",
                                          "attempt": "\(fence.attempt)", "worker": "\(fence.worker)"])
        let outputDirectory = "\(options.dataDirectory)/runs/\(run.id)"
        try? FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        let logPath = "\(outputDirectory)/run.log"
        let attemptLog = "\(logPath).\(fence.attempt)"
        let control = AttemptControl()
        active.withLock { $0[fence] = control }
        defer { _ = active.withLock { $0.removeValue(forKey: fence) } }
        let heartbeats = Task {
            // Every lease/3; two failed heartbeats in a row (the store unreachable) give the run up before
            // its lease can run out under it.
            var failures = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(self.options.lease / 3))
                if Task.isCancelled { return }
                let now = Date()
                let held: Bool
                do {
                    held = try await store.heartbeat(fence, until: now.addingTimeInterval(self.options.lease), now: now)
                    failures = 0
                } catch {
                    failures += 1
                    log.warning("heartbeat failed", metadata: ["error": "\(error)", "in_a_row": "\(failures)"])
                    held = failures < 2
                }
                if !held {
                    log.warning("run lost its lease; stopping this attempt")
                    control.abandon()
                    return
                }
            }
        }
        // The lease is kept while the outcome is recorded too: sealing the reports and queueing thousands of failed
        // records can outlast what is left of it, and a run recorded after its lease ran out is not recorded.
        defer { heartbeats.cancel() }
        // Prepared under the lease too: unsealing a push pipeline's batches can take longer than the lease.
        let request: RunAttemptRequest
        do {
            request = try await prepare(run, fence: fence)
        } catch {
            try? FileManager.default.removeItem(atPath: RunAttemptRequest.pushFolder(runDirectory: outputDirectory, attempt: fence.attempt))
            let reason = "\(error)"
            RunLogHandler.append("error run failed before it started reason=\(reason)", to: attemptLog)
            log.error("run failed before it started", metadata: ["reason": "\(reason)"])
            await record(run, fence: fence, result: RunAttemptResult(state: .failed, summary: JSONWriter.string(RunSummary.failed(reason))),
                         attemptLog: attemptLog, logPath: logPath, log: log, recorded: { heartbeats.cancel() })
            return
        }
        let outcome = await executor.execute(request, control: control)
        if request.pushed != nil { try? FileManager.default.removeItem(atPath: request.pushFolder) }
        switch outcome {
        case .finished(let result):
            options.quota?.add(run.tenantId, result.areaBytes ?? 0)
            await record(run, fence: fence, result: result, attemptLog: attemptLog, logPath: logPath, log: log,
                         recorded: { heartbeats.cancel() })
            if let pushed = request.pushed { await settlePushed(run, read: pushed, state: result.state, log: log) }
        case .handedBack:
            _ = Self.appendingLog(.object([:]), attemptLog: attemptLog, logPath: logPath)
            let released = (try? await store.release(fence, failure: nil, summary: nil, at: Date(),
                                                     maxAttempts: options.maxAttempts)) ?? false
            heartbeats.cancel()
            log.info(released ? "run handed back to the queue" : "run could not be handed back (lease lost)")
        case .died(let reason):
            RunLogHandler.append("error attempt \(fence.attempt) failed reason=\(reason)", to: attemptLog)
            let kept = Self.appendingLog(.object([:]), attemptLog: attemptLog, logPath: logPath)
            log.error("run attempt died", metadata: ["reason": "\(reason)", "attempt": "\(fence.attempt)"])
            _ = try? await store.release(fence, failure: reason, summary: kept, at: Date(), maxAttempts: options.maxAttempts)
            heartbeats.cancel()
            if let ended = try? await store.run(id: run.id), ended.state.isFinished {
                if let pushed = request.pushed { await settlePushed(run, read: pushed, state: ended.state, log: log) }
                notifier?.wake()
                try? await sealArtifact?(run.id, fence.attempt, "log_path", logPath)
                Counter(label: "onramp_runs_total", dimensions: [("state", ended.state.rawValue)]).increment()
                log.error("run failed", metadata: ["reason": "\(ended.summary?["failure_reason"]?.stringValue ?? reason)"])
            }
        case .lostLease:
            _ = Self.appendingLog(.object([:]), attemptLog: attemptLog, logPath: logPath)
            log.warning("run lost its lease to another worker; its outcome is that worker's")
        }
    }

    /// Records a finished attempt: appends its log, seals the artifacts, stores the outcome, notifies.
    /// `recorded` is called once the outcome is stored (or refused), before the webhook: the lease is not needed after.
    func record(_ run: RunRecord, fence: RunFence, result: RunAttemptResult,
                attemptLog: String, logPath: String, log: Logger, recorded: () -> Void = {}) async {
        let state = result.state
        var summaryValue = Self.appendingLog(result.summaryValue, attemptLog: attemptLog, logPath: logPath)
        if let errorQueue, case .object(var o) = summaryValue {
            // Before the report is sealed and the outcome recorded: a crash in between queues the same ids again.
            do {
                o["error_queue"] = try await errorQueue.runEnded(run, state: state, errorsNDJSON: o["errors_ndjson_path"]?.stringValue)
                summaryValue = .object(o)
            } catch {
                log.error("could not queue the run's failed records", metadata: ["error": "\(error)"])
            }
        }
        if case .object(var o) = summaryValue, !run.attemptErrors.isEmpty {
            o["attempt_errors"] = .array(run.attemptErrors.map(Value.string))
            summaryValue = .object(o)
        }
        if let sealArtifact {
            for key in RunSummary.artifactKeys {
                guard let path = summaryValue[key]?.stringValue, FileManager.default.fileExists(atPath: path) else { continue }
                do { try await sealArtifact(run.id, fence.attempt, key, path) } catch {
                    log.error("could not seal or store a run artifact", metadata: ["key": "\(key)", "error": "\(error)"])
                }
            }
        }
        Counter(label: "onramp_runs_total", dimensions: [("state", state.rawValue)]).increment()
        if let seconds = summaryValue["seconds"]?.numberValue {
            Timer(label: "onramp_run_duration_seconds", preferredDisplayUnit: .seconds).recordNanoseconds(Int64(seconds * 1e9))
        }
        for (stage, key) in [("read", "records_read"), ("written", "records_written")] {
            if let n = summaryValue[key]?.numberValue { Counter(label: "onramp_records_total", dimensions: [("stage", stage)]).increment(by: Int64(n)) }
        }
        for (stage, n) in summaryValue["failed_by_stage"]?.objectValue ?? [:] {
            Counter(label: "onramp_records_failed_total", dimensions: [("stage", stage)]).increment(by: Int64(n.numberValue ?? 0))
        }
        do {
            let stored = try await store.finish(fence, state: state, summary: summaryValue, at: Date())
            recorded()
            if stored {
                log.info("run finished", metadata: ["state": "\(state.rawValue)"])
                notifier?.wake()
            } else {
                log.warning("run finished after losing its lease; outcome not recorded")
            }
        } catch {
            log.error("could not record the run outcome", metadata: ["error": "\(error)"])
        }
    }
}

extension RunWorker {
    /// Appends this attempt's log to the run's `run.log` and records its path in the summary.
    static func appendingLog(_ summary: Value, attemptLog: String, logPath: String) -> Value {
        if let data = FileManager.default.contents(atPath: attemptLog) {
            if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
            if let h = FileHandle(forWritingAtPath: logPath) {
                h.seekToEndOfFile()
                h.write(data)
                try? h.close()
            }
            try? FileManager.default.removeItem(atPath: attemptLog)
        }
        guard case .object(var o) = summary else { return summary }
        o["log_path"] = .string(logPath)
        return .object(o)
    }
}
