import Foundation
import Logging
import Metrics
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampStore
import ServiceLifecycle

/// A pool of `concurrency` workers that claim queued runs from the store, run them with a lease
/// kept alive by heartbeats, and record the outcome. A run whose worker died is taken over once its
/// lease expires and resumes from the last committed checkpoint. Idle workers sleep until woken
/// (`wake()`, called when a run is enqueued) or until the next lease could have expired.
public final class RunWorker: Service, Sendable {
    public struct Options: Sendable {
        public var concurrency = 2
        public var perTenantLimit = 2
        public var lease: TimeInterval = 30
        public var dataDirectory: String
        public var workerId = "worker-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        public init(dataDirectory: String) { self.dataDirectory = dataDirectory }
    }

    let store: any OnrampStore
    let registry: ConnectorRegistry
    let options: Options
    let logger: Logger
    /// Called after a run's outcome is recorded, with the pipeline's `notify` target (webhooks).
    public typealias Notifier = @Sendable (_ run: RunRecord, _ summary: Value, _ notify: PipelineSpec.Notify) async -> Void
    let notifier: Notifier?
    /// A tenant's secrets in clear, for `${secret:NAME}` in its pipelines.
    public typealias SecretResolver = @Sendable (_ tenantId: String) async throws -> [String: String]
    let secrets: SecretResolver?
    /// Seals a finished run's files at rest: (path, context) for each artifact.
    public typealias ArtifactSealing = @Sendable (_ path: String, _ context: String) throws -> Void
    let sealArtifact: ArtifactSealing?
    private let doorbell = Doorbell()

    public init(store: any OnrampStore, registry: ConnectorRegistry, options: Options, logger: Logger = Logger(label: "onramp.worker"),
                secrets: SecretResolver? = nil, sealArtifact: ArtifactSealing? = nil, notifier: Notifier? = nil) {
        self.sealArtifact = sealArtifact
        self.store = store
        self.registry = registry
        self.options = options
        self.logger = logger
        self.secrets = secrets
        self.notifier = notifier
    }

    /// Tells idle workers there may be work (a run was enqueued).
    public func wake() { Task { await doorbell.ring() } }

    /// Runs until graceful shutdown; a run in progress finishes its current batch boundary check
    /// or is handed back by its lease.
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
            Task { await self.doorbell.close() }
        }
    }

    private func loop(slot: Int) async {
        let worker = "\(options.workerId)/\(slot)"
        while !Task.isCancelled, await doorbell.isOpen {
            do {
                if let run = try await store.claim(worker: worker, now: Date(), lease: options.lease, perTenantLimit: options.perTenantLimit) {
                    await execute(run, worker: worker)
                    continue
                }
            } catch {
                logger.error("claim failed", metadata: ["error": "\(error)"])
            }
            // Nothing to do: sleep until woken, or until a lease held elsewhere could have expired.
            await doorbell.wait(timeout: options.lease)
        }
    }

    func execute(_ run: RunRecord, worker: String) async {
        let outputDirectory = "\(options.dataDirectory)/runs/\(run.id)"
        try? FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        // The process log and the run's own log (an attempt after a takeover appends to it).
        let logPath = "\(outputDirectory)/run.log"
        let sink = RunLogHandler.Sink(path: logPath + ".\(run.attempts)")
        defer { sink.close() }
        let processLogger = logger
        var log = Logger(label: logger.label) { _ in
            MultiplexLogHandler([processLogger.handler, RunLogHandler(sink: sink)])
        }
        log[metadataKey: "run_id"] = "\(run.id)"
        log[metadataKey: "tenant_id"] = "\(run.tenantId)"
        log.info("run started", metadata: ["pipeline_id": "\(run.pipelineId)", "version": "\(run.pipelineVersion)", "attempt": "\(run.attempts)", "worker": "\(worker)"])
        var summaryValue: Value
        var state: RunState
        var notify: PipelineSpec.Notify?
        do {
            guard let version = try await store.pipeline(id: run.pipelineId, version: run.pipelineVersion) else {
                throw OnrampError("run.pipeline_missing", "pipeline \(run.pipelineId) version \(run.pipelineVersion) does not exist")
            }
            let connections = try await store.connectionMap(tenantId: run.tenantId)
            let document = try Connections.expand(version.document, connections)
            let spec = try PipelineLoader.spec(from: document, file: version.name, environment: ProcessInfo.processInfo.environment,
                                               secrets: try await secrets?(run.tenantId) ?? [:])
            notify = spec.notify
            var runner = PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(logger: log, baseDirectory: options.dataDirectory),
                                        checkpoints: store, outputDirectory: outputDirectory, fullResync: run.fullResync && run.attempts == 1)
            runner.checkpointKey = run.pipelineId
            let store = self.store
            runner.cancelRequested = { (try? await store.run(id: run.id))?.cancelRequested ?? false }
            let progressLog = log
            let configured = runner
            let summary = await withTaskGroup(of: RunSummary?.self) { group in
                group.addTask {
                    await configured.run { p in
                        progressLog.info("progress", metadata: ["read": "\(p.read)", "written": "\(p.written)", "failed": "\(p.failed)"])
                    }
                }
                group.addTask {
                    // Heartbeats: extend the lease; if another worker took the run over, stop.
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(self.options.lease / 3))
                        if Task.isCancelled { return nil }
                        let held = (try? await store.heartbeat(runId: run.id, worker: worker, until: Date().addingTimeInterval(self.options.lease))) ?? true
                        if !held { return nil }
                    }
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard let summary else {
                log.warning("run lost its lease to another worker")
                return
            }
            summaryValue = summary.asValue
            state = RunState(summary.status)
            var details: Logger.Metadata = ["read": "\(summary.recordsRead)", "written": "\(summary.recordsWritten)", "failed": "\(summary.recordsFailed)"]
            if let reason = summary.failureReason { details["reason"] = "\(reason)" }
            log.info("run \(summary.status.rawValue)", metadata: details)
            for e in summary.sampleErrors.prefix(10) {
                log.warning("record failed", metadata: ["stage": "\(e.stage.rawValue)", "at": "\(e.position)", "code": "\(e.code)", "message": "\(e.message)"])
            }
        } catch {
            summaryValue = ["status": "failed", "failure_reason": .string("\(error)")]
            state = .failed
            log.error("run failed before it started", metadata: ["reason": "\(error)"])
        }
        summaryValue = Self.appendingLog(summaryValue, attemptLog: logPath + ".\(run.attempts)", logPath: logPath)
        if let sealArtifact {
            for key in RunSummary.artifactKeys {
                guard let path = summaryValue[key]?.stringValue, FileManager.default.fileExists(atPath: path) else { continue }
                do { try sealArtifact(path, "\(run.id)/\(key)") } catch {
                    logger.error("could not seal a run artifact", metadata: ["run_id": "\(run.id)", "error": "\(error)"])
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
            if try await store.finish(runId: run.id, worker: worker, state: state, summary: summaryValue, at: Date()) {
                log.info("run finished", metadata: ["state": "\(state.rawValue)"])
                if let notify, let notifier {
                    var payload = summaryValue.objectValue ?? [:]
                    for k in RunSummary.artifactKeys { payload[k] = nil }
                    payload["run_id"] = .string(run.id)
                    payload["tenant_id"] = .string(run.tenantId)
                    payload["pipeline_id"] = .string(run.pipelineId)
                    payload["state"] = .string(state.rawValue)
                    await notifier(run, .object(payload), notify)
                }
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

/// Wakes sleeping workers: `wait` returns when rung, closed, or after the timeout.
actor Doorbell {
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    private(set) var isOpen = true

    func wait(timeout: TimeInterval) async {
        guard isOpen else { return }
        let id = UUID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .seconds(timeout))
            await self?.resume(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiters[id] = $0 }
        } onCancel: {
            Task { await self.resume(id) }
        }
        timer.cancel()
    }

    private func resume(_ id: UUID) { waiters.removeValue(forKey: id)?.resume() }

    func ring() {
        let all = waiters
        waiters = [:]
        for (_, c) in all { c.resume() }
    }

    func close() {
        isOpen = false
        ring()
    }
}
