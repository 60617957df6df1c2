import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import ServiceLifecycle
import Synchronization

/// The on-premise edge agent: runs a pipeline's source and steps on the customer's machine (every `every` seconds,
/// or once), spools what they make (`Spool`) and pushes it to the platform (`Pusher`), outbound only. A run's records
/// are pushable once its checkpoint is committed with them; a failed or stopped run drops what it spooled past its
/// last checkpoint (read again next time). On SIGTERM the run in progress stops at its next batch and the agent exits.
public final class EdgeAgent: Service, Sendable {
    public struct Options: Sendable {
        public var spoolDirectory: String
        public var maxSpoolBytes: Int64 = 1 << 30
        /// Seconds between runs; nil: one run, then push until the spool is empty, then return.
        public var every: Double?
        /// Seconds between heartbeats to the platform (an enrolled agent's status); each waits up to this long for
        /// the platform's news (a run asked for, a new pipeline), which comes back at once.
        public var heartbeatSeconds: Double = 30
        /// Run the pipeline the platform gives this (enrolled) agent, within this policy, instead of a local file.
        public var remote: RemotePipeline.Policy?
        /// Segments larger than this are pushed in chunks of this size (resumed where a broken connection left off).
        public var chunkBytes = 1 << 20
        public init(spoolDirectory: String) { self.spoolDirectory = spoolDirectory }
    }

    let registry: ConnectorRegistry
    let options: Options
    let logger: Logger
    public let spool: Spool
    public let pusher: Pusher
    private let stopping: StopSignal
    /// Set by a heartbeat whose answer asked for a run; the wait between runs ends at it.
    private let runNow = StopSignal()
    /// How the last run ended (nil before the first).
    private let lastRun = Mutex<RunSummary?>(nil)
    /// What the agent runs, and what it knows of the platform's requests.
    private let plan: Mutex<Plan>
    /// The enrolled agent's id (nil for a plain push key): the spool's control files are kept for it.
    let agentId: String?

    struct Plan: Sendable {
        var spec: PipelineSpec?
        var resources: ConnectorResources
        var every: Double?
        /// The platform's pipeline this agent runs (`--remote-pipeline`), nil for a local file.
        var remote: RemotePipeline?
        /// The newest config version the agent has looked at (run, or refused with `configError`).
        var configSeen = 0
        var configError: String?
        /// Runs asked for by the platform that this agent has taken up, and of those, the ones done.
        var requestsSeen = 0
        var requestsDone = 0
    }

    /// Checks that the pipeline writes to `onramp_push` and opens the spool; `environment` gives the push key when
    /// the config has none (`ONRAMP_PUSH_KEY`). With `options.remote` there is no `spec`: the agent runs the pipeline
    /// the platform gives it (the one it last had until then), so it must be enrolled.
    public init(spec: PipelineSpec?, registry: ConnectorRegistry, resources: ConnectorResources, options: Options,
                environment: [String: String], logger: Logger) throws {
        let enrolled = Enrolment.stored(in: options.spoolDirectory)
        let server: String, key: String, caFile: String?, agentId: String?
        if options.remote != nil {
            guard let enrolled else {
                throw OnrampError("agent.not_enrolled", "a pipeline from the platform needs an enrolled agent: onramp agent "
                                  + "enrol --server URL --token TOKEN --spool \(options.spoolDirectory)", at: "--remote-pipeline")
            }
            (server, key, caFile, agentId) = (enrolled.server, enrolled.pushKey, enrolled.caFile, enrolled.agentId)
        } else {
            guard let spec else {
                throw OnrampError("config.missing", "give the pipeline file, or --remote-pipeline", at: "FILE")
            }
            guard spec.destination.connector == SpoolDestination.name else {
                throw OnrampError("agent.destination", "on the agent a pipeline's destination is onramp_push (the platform's "
                                  + "push API), not \(spec.destination.connector)", at: "destination.connector")
            }
            let config = spec.destination.config
            guard let s = config["server"]?.stringValue ?? enrolled?.server else {
                throw OnrampError("config.missing", "the platform's URL is required (or enrol the agent: onramp agent enrol)",
                                  at: "destination.config.server")
            }
            let given = config["push_key"]?.stringValue ?? environment["ONRAMP_PUSH_KEY"]
            if given == nil, let enrolled, Self.trimmed(s) != Self.trimmed(enrolled.server) {
                throw OnrampError("agent.server", "the agent enrolled with \(enrolled.server); its key is not sent to \(s) "
                                  + "(enrol again there, or give that server's push key)", at: "destination.config.server")
            }
            guard let k = given ?? enrolled?.pushKey, !k.isEmpty else {
                throw OnrampError("config.missing", "a push key is required: enrol the agent (onramp agent enrol), or give "
                                  + "push_key or ONRAMP_PUSH_KEY", at: "destination.config.push_key")
            }
            (server, key, caFile) = (s, k, config["ca_file"]?.stringValue ?? (given == nil ? enrolled?.caFile : nil))
            agentId = given == nil ? enrolled?.agentId : nil
            if !registry.readsIncrementally(spec.source) {
                logger.warning("the source has no incremental mode: every run reads and pushes all of it again")
            }
        }
        let spool = try Spool(directory: options.spoolDirectory, maxBytes: options.maxSpoolBytes)
        let stopping = StopSignal()
        var registry = registry
        registry.register(SpoolDestination.spec(spool: spool, shouldStop: { stopping.isSet }))
        var plan = Plan(spec: spec, resources: resources, every: options.every)
        plan.requestsDone = RunRequestLedger.done(in: options.spoolDirectory, agentId: agentId)
        plan.requestsSeen = plan.requestsDone
        if let policy = options.remote, let agentId {
            plan.spec = nil
            plan.resources = RemotePipeline.resources(policy)
            if let kept = RemotePipeline.stored(in: options.spoolDirectory, agentId: agentId) {
                plan.configSeen = kept.version
                do {
                    plan.spec = try kept.spec(registry: registry, policy: policy)
                    plan.remote = kept
                    if options.every != nil { plan.every = kept.everySeconds }
                } catch {
                    plan.configError = "pipeline v\(kept.version): \(error)"
                }
            }
        }
        self.registry = registry
        self.options = options
        self.logger = logger
        self.spool = spool
        self.stopping = stopping
        self.plan = Mutex(plan)
        self.agentId = agentId
        pusher = try Pusher(spool: spool, server: server, key: key, caFile: caFile, chunkBytes: options.chunkBytes,
                            logger: logger)
    }

    /// Runs until shutdown (or, without `every`, once and until the spool is empty). Throws when a spool segment is
    /// damaged (it is not pushed; a person must look).
    public func run() async throws {
        do {
            try await loop()
        } catch {
            failure = "\(error)"
            await writeStatus()
            await pusher.shutdown()
            throw error
        }
        await writeStatus()
        await pusher.shutdown()
    }

    private func loop() async throws {
        guard options.every != nil else {
            // One run: the platform's news first (a pipeline it gives), then the run, the pushes and a last word.
            if options.remote != nil { await heartbeat(wait: 0) }
            _ = await runOnce()
            try await pusher.run(untilEmpty: true)
            await heartbeat(wait: 0)
            return
        }
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.pusher.run() }
                group.addTask {
                    while !self.isStopping, !Task.isCancelled {
                        // No heartbeats for now (a plain push key, or a 404): asked again after a pause.
                        guard await self.pusher.heartbeats else {
                            try await Task.sleep(for: .milliseconds(250))
                            continue
                        }
                        let started = ContinuousClock.now
                        let news = await self.heartbeat(wait: self.options.heartbeatSeconds)
                        // The status after acting on news goes out soon; otherwise one heartbeat an interval.
                        let interval = Duration.seconds(news ? 1 : self.options.heartbeatSeconds)
                        let rest = interval - (ContinuousClock.now - started)
                        if rest > .zero { try await Task.sleep(for: rest) }
                    }
                }
                group.addTask {
                    while !self.isStopping, !Task.isCancelled {
                        // The platform hears how a run went when it ends, not at the next heartbeat.
                        if await self.runOnce() != nil, await self.pusher.heartbeats {
                            await self.heartbeat(wait: 0, takingConfig: false)
                        }
                        await self.writeStatus()
                        var waited = 0.0
                        while waited < (self.plan.withLock { $0.every } ?? 0), !self.isStopping, !self.runNow.take() {
                            try await Task.sleep(for: .milliseconds(250))
                            waited += 0.25
                        }
                    }
                }
                // The first to end (the runs on shutdown, the pusher on a damaged segment) ends the other.
                try await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.set()
        }
    }

    /// One heartbeat (a long poll of up to `wait` seconds) and what its answer brings: a run asked for, a pipeline
    /// (taken by one caller only, `takingConfig`, so answers apply in order). Whether there was news. Counts lower
    /// than the agent's (the platform's record was made again, or restored) start the agent's over from them.
    @discardableResult
    func heartbeat(wait: Double, takingConfig: Bool = true) async -> Bool {
        guard let answer = await pusher.heartbeat(await statusValue(), wait: wait) else { return false }
        var news = false
        let requests = answer["run_requests"]?.countValue ?? 0
        plan.withLock { plan in
            if requests > plan.requestsSeen {
                plan.requestsSeen = requests
                news = true
            } else if requests < plan.requestsSeen {
                (plan.requestsSeen, plan.requestsDone) = (requests, min(plan.requestsDone, requests))
            }
        }
        if news {
            logger.info("the platform asked for a run")
            runNow.set()
        }
        let version = answer["config_version"]?.countValue ?? 0
        guard takingConfig, version != plan.withLock({ $0.configSeen }) else { return news }
        guard let policy = options.remote, let agentId else {
            // A pipeline file's agent does not take the platform's; its status says which version it saw.
            plan.withLock { $0.configSeen = version }
            return true
        }
        do {
            guard let config = answer["config"] else {
                throw OnrampError("agent.config", "the platform named config v\(version) without giving it", at: "config")
            }
            let remote = try RemotePipeline(version: version, config: config)
            let spec = try remote.spec(registry: registry, policy: policy)
            do { try remote.store(in: options.spoolDirectory, agentId: agentId) } catch {
                // Not refused: asked for again at the next heartbeat (the platform still sees the old version).
                logger.error("the platform's pipeline could not be kept in the spool", metadata: ["error": "\(error)"])
                plan.withLock { $0.configError = "pipeline v\(version) not kept: \(error)" }
                return true
            }
            plan.withLock { plan in
                plan.spec = spec
                plan.remote = remote
                plan.configSeen = version
                plan.configError = nil
                if plan.every != nil { plan.every = remote.everySeconds }
            }
            logger.info("running the platform's pipeline v\(version)", metadata: ["every": "\(remote.everySeconds)"])
            runNow.set()
        } catch {
            logger.error("the platform's pipeline was refused; the last one goes on", metadata: [
                "version": "\(version)", "error": "\(error)"])
            plan.withLock { plan in
                plan.configSeen = version
                plan.configError = "pipeline v\(version): \(error)"
            }
        }
        return true
    }

    /// Why the agent stopped, when it did on an error (a damaged segment): in `status.json`.
    private let failureBox = Mutex<String?>(nil)
    var failure: String? {
        get { failureBox.withLock { $0 } }
        set { failureBox.withLock { $0 = newValue } }
    }

    static func trimmed(_ server: String) -> String { server.hasSuffix("/") ? String(server.dropLast()) : server }

    var isStopping: Bool { stopping.isSet || Task.isCancelled }

    /// How the last run ended (nil before the first).
    public var lastStatus: RunStatus? { lastRun.withLock { $0?.status } }

    /// One run of the pipeline into the spool; its summary (nil when there is no pipeline yet: the platform has not
    /// given one). A run started after the platform asked for one settles that request.
    public func runOnce() async -> RunSummary? {
        let (current, taking) = plan.withLock { ($0, $0.requestsSeen) }
        guard let spec = current.spec else { return nil }
        let folder = "\(options.spoolDirectory)/runs"
        let label = "\(Int(Date().timeIntervalSince1970 * 1000))"
        var runner = PipelineRunner(spec: spec, registry: registry, resources: current.resources,
                                    checkpoints: SpoolCheckpoints(spool: spool, key: spec.name),
                                    outputDirectory: "\(folder)/\(label)", fullResync: false)
        runner.runLabel = label
        runner.stopRequested = { [weak self] in self?.isStopping == true ? .cancelled : nil }
        let summary = await runner.run()
        do {
            if summary.status == .failed || summary.stop != nil {
                await spool.dropUncommitted()
            } else {
                try await spool.commitWritten()
            }
        } catch {
            logger.error("could not record the run in the spool", metadata: ["error": "\(error)"])
            await spool.dropUncommitted()
        }
        if summary.stop == nil, taking > current.requestsDone {
            do {
                try RunRequestLedger.record(taking, in: options.spoolDirectory, agentId: agentId)
                plan.withLock { $0.requestsDone = max($0.requestsDone, taking) }
            } catch {
                logger.error("could not record the runs asked for as done", metadata: ["error": "\(error)"])
            }
        }
        lastRun.withLock { $0 = summary }
        logger.info("run \(summary.status.rawValue)", metadata: [
            "read": "\(summary.recordsRead)", "spooled": "\(summary.recordsWritten)", "failed": "\(summary.recordsFailed)",
            "reason": "\(summary.failureReason ?? "")"])
        Self.prune(folder, keeping: 10)
        return summary
    }

    /// `status.json` in the spool folder: what an operator (or a monitor) reads; heartbeats send the same.
    func writeStatus() async {
        try? Spool.writeDurably(Data(JSONWriter.string(await statusValue(), pretty: true).utf8),
                                to: "\(options.spoolDirectory)/status.json")
    }

    func statusValue() async -> Value {
        let state = await spool.status
        let run = lastRun.withLock { $0 }
        let current = plan.withLock { $0 }
        return [
            "version": .string(Self.version),
            "run_requests_seen": .number(Double(current.requestsSeen)),
            "config_version": .number(Double(current.configSeen)),
            "pipeline": current.remote.map { ["version": .number(Double($0.version)), "every_seconds": .number($0.everySeconds)] }
                ?? (current.spec == nil ? .null : "local file"),
            "pipeline_name": current.spec.map { .string($0.name) } ?? .null,
            "config_error": current.configError.map(Value.string) ?? .null,
            "spool": ["segments": .number(Double(state.segments)), "bytes": .number(Double(state.bytes)),
                      "pushable": .number(Double(state.pushable))],
            "pushed_batches": .number(Double(await pusher.pushed)),
            "last_push_at": (await pusher.lastPushAt).map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null,
            "last_error": (await pusher.lastError).map(Value.string) ?? .null,
            "stopped_by": failure.map(Value.string) ?? .null,
            "corrupt_segments": .array(await spool.corrupt.map(Value.string)),
            "last_run": run.map { r in ["status": .string(r.status.rawValue), "read": .number(Double(r.recordsRead)),
                                        "spooled": .number(Double(r.recordsWritten)), "failed": .number(Double(r.recordsFailed)),
                                        "reason": r.failureReason.map(Value.string) ?? .null] } ?? .null,
        ]
    }

    /// The agent's version, as heartbeats report it.
    public static let version = "0.16.0"

    /// Keeps the newest `count` run folders (their error reports and logs) and removes the others.
    static func prune(_ folder: String, keeping count: Int) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap(Int64.init).sorted()
        for name in names.dropLast(count) { try? FileManager.default.removeItem(atPath: "\(folder)/\(name)") }
    }
}

/// Set once, on shutdown; read by the run and by the spool's writer.
final class StopSignal: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
    /// Whether it was set, clearing it.
    func take() -> Bool { flag.withLock { value in defer { value = false }; return value } }
}
