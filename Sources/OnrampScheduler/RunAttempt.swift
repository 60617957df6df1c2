import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampStore

/// One attempt of a claimed run, as a worker hands it to an executor: the tenant's document already
/// resolved under the `TenantPolicy` (nothing left to substitute), where it may reach, and its limits.
public struct RunAttemptRequest: Codable, Sendable {
    public var runId: String
    public var tenantId: String
    public var pipelineId: String
    public var worker: String
    public var attempt: Int
    public var fullResync: Bool
    /// The resolved pipeline document as JSON text.
    public var document: String
    public var dataDirectory: String
    public var files: FileArea
    public var egress: EgressPolicy
    public var limits: RunLimits
    /// The tenant's secret values, only to redact them from the run's log and error report.
    public var redact: [String]
    /// For a replay run: the failed records it processes instead of reading its source.
    public var replay: [ReplayRecord]? = nil
    /// For a push pipeline: the pending batches this attempt reads, unsealed into `pushFolder`.
    public var pushed: [PushedBatch]? = nil

    public var fence: RunFence { RunFence(runId: runId, worker: worker, attempt: attempt) }
    public var outputDirectory: String { "\(dataDirectory)/runs/\(runId)" }
    public var attemptLogPath: String { "\(outputDirectory)/run.log.\(attempt)" }
    public var pushFolder: String { Self.pushFolder(runDirectory: outputDirectory, attempt: attempt) }
    /// Where an attempt's pushed batches are unsealed (removed once the attempt ended).
    static func pushFolder(runDirectory: String, attempt: Int) -> String { "\(runDirectory)/pushed.\(attempt)" }
}

/// What an attempt may cost: defaults an operator changes with `onramp serve` flags.
public struct RunLimits: Codable, Sendable, Equatable {
    /// Address space of the process running the attempt (`RLIMIT_AS`), in MiB.
    public var memoryMiB = 4096
    /// Wall-clock seconds before the attempt is stopped and the run fails.
    public var wallSeconds: Double = 3600
    public var maxRecordsRead = 50_000_000
    /// Bytes of results, error reports and file destinations together.
    public var maxOutputBytes: Int64 = 10 << 30
    /// The tenant's file area quota, and what of it was free when the attempt started (nil: no quota).
    public var areaQuotaBytes: Int64?
    public var areaFreeBytes: Int64?

    public init() {}
}

/// How an attempt ended, as the executor reports it to the worker.
public struct RunAttemptResult: Codable, Sendable {
    public var state: RunState
    /// The run summary as JSON text.
    public var summary: String
    /// Set when the attempt stopped early for a reason other than a cancel (`hand_back`, `lease_lost`).
    public var stop: String?
    /// Net bytes the attempt's file destinations added to the tenant's file area (for its quota figure).
    public var areaBytes: Int64?

    public var summaryValue: Value { (try? JSONParser.parse(summary)) ?? .object([:]) }
}

/// Runs an attempt in the current process: the same code whether the worker runs it in process or in
/// an `onramp exec-run` child. Checkpoints are committed only while the attempt's fence holds the run.
public enum RunAttempt {
    public static func execute(_ request: RunAttemptRequest, store: any OnrampStore, registry: ConnectorRegistry,
                               logger: Logger, handBack: @escaping @Sendable () -> Bool = { false }) async -> RunAttemptResult {
        try? FileManager.default.createDirectory(atPath: request.outputDirectory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        let redactor = Redactor(secrets: request.redact)
        let sink = RunLogHandler.Sink(path: request.attemptLogPath, redactor: redactor)
        defer { sink.close() }
        let processLogger = logger
        var log = Logger(label: logger.label) { _ in
            MultiplexLogHandler([RedactingLogHandler(inner: processLogger.handler, redactor: redactor), RunLogHandler(sink: sink)])
        }
        log[metadataKey: "run_id"] = "\(request.runId)"
        log[metadataKey: "tenant_id"] = "\(request.tenantId)"
        log.info("run started", metadata: ["attempt": "\(request.attempt)", "worker": "\(request.worker)"])
        let spec: PipelineSpec
        do {
            spec = try PipelineSpec(from: try JSONParser.parse(request.document))
        } catch {
            log.error("run failed before it started", metadata: ["reason": "\(redactor.string("\(error)"))"])
            return RunAttemptResult(state: .failed, summary: JSONWriter.string(RunSummary.failed("\(error)")))
        }
        var resources = ConnectorResources(logger: log, files: request.files, egress: request.egress)
        resources.appendToOutputs = request.attempt > 1
        resources.pushed = request.pushed
        resources.outputBudget = OutputBudget(limit: request.limits.maxOutputBytes)
        if let quota = request.limits.areaQuotaBytes, let free = request.limits.areaFreeBytes {
            resources.areaBudget = OutputBudget.areaQuota(remaining: free, quota: quota)
        }
        let fence = request.fence
        var runner = PipelineRunner(spec: spec, registry: registry, resources: resources,
                                    checkpoints: FencedCheckpoints(store: store, fence: fence),
                                    outputDirectory: request.outputDirectory, fullResync: request.fullResync && request.attempt == 1)
        runner.checkpointKey = request.pipelineId
        runner.maxRecordsRead = request.limits.maxRecordsRead
        runner.redactor = redactor
        runner.replay = request.replay
        runner.stopRequested = {
            if handBack() { return .handBack }
            guard let run = try? await store.run(id: fence.runId) else { return nil }
            if !RunLifecycle.holds(run, fence, now: Date()) { return .leaseLost }
            return run.cancelRequested ? .cancelled : nil
        }
        let progressLog = log
        // One writer stores the latest progress, in order; a report it has not reached yet is replaced by a newer one.
        let (reports, reporter) = AsyncStream.makeStream(of: Value.self, bufferingPolicy: .bufferingNewest(1))
        let writer = Task {
            for await value in reports { _ = try? await store.progress(fence, value, now: Date()) }
        }
        let summary = await runner.run { p in
            progressLog.info("progress", metadata: ["read": "\(p.read)", "written": "\(p.written)", "failed": "\(p.failed)"])
            guard case .object(var value) = p.asValue else { return }
            value["at"] = .string(ISO8601DateFormatter().string(from: Date()))
            reporter.yield(.object(value))
        }
        reporter.finish()
        await writer.value
        var details: Logger.Metadata = ["read": "\(summary.recordsRead)", "written": "\(summary.recordsWritten)",
                                        "failed": "\(summary.recordsFailed)"]
        if let reason = summary.failureReason { details["reason"] = "\(redactor.string(reason))" }
        log.info("run \(summary.status.rawValue)", metadata: details)
        for e in summary.sampleErrors.prefix(10) {
            log.warning("record failed", metadata: ["stage": "\(e.stage.rawValue)", "at": "\(e.position)", "code": "\(e.code)",
                                                    "message": "\(redactor.string(e.message))"])
        }
        let stop = summary.stop.flatMap { $0 == .cancelled ? nil : $0.rawValue }
        var result = RunAttemptResult(state: RunState(summary.status),
                                      summary: JSONWriter.string(redactor.value(summary.asValue)), stop: stop)
        result.areaBytes = resources.areaBudget?.spent
        return result
    }
}

/// A run's checkpoints in the store, committed only while the attempt holds the run's lease; a
/// refused commit stops the attempt (`run.lease_lost`) before it writes anything more.
struct FencedCheckpoints: CheckpointStore {
    let store: any OnrampStore
    let fence: RunFence

    func load(pipeline: String) async throws -> Value? { try await store.load(pipeline: pipeline) }

    func commit(pipeline: String, checkpoint: Value) async throws {
        guard try await store.commit(pipeline: pipeline, checkpoint: checkpoint, fence: fence, now: Date()) else {
            throw Self.leaseLost
        }
    }

    static let leaseLost = OnrampError("run.lease_lost", "another worker holds this run now; this attempt stops")

    func reset(pipeline: String) async throws {
        guard try await store.reset(pipeline: pipeline, fence: fence, now: Date()) else {
            throw Self.leaseLost
        }
    }
}
