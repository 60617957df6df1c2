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
        /// Seconds between heartbeats to the platform (an enrolled agent's status; runs asked for come back).
        public var heartbeatSeconds: Double = 30
        public init(spoolDirectory: String) { self.spoolDirectory = spoolDirectory }
    }

    let spec: PipelineSpec
    let registry: ConnectorRegistry
    let resources: ConnectorResources
    let options: Options
    let logger: Logger
    public let spool: Spool
    public let pusher: Pusher
    private let stopping: StopSignal
    /// Set by a heartbeat whose answer asked for a run; the wait between runs ends at it.
    private let runNow = StopSignal()
    /// How the last run ended (nil before the first).
    private let lastRun = Mutex<RunSummary?>(nil)

    /// Checks that the pipeline writes to `onramp_push` and opens the spool; `environment` gives the push key when
    /// the config has none (`ONRAMP_PUSH_KEY`).
    public init(spec: PipelineSpec, registry: ConnectorRegistry, resources: ConnectorResources, options: Options,
                environment: [String: String], logger: Logger) throws {
        guard spec.destination.connector == SpoolDestination.name else {
            throw OnrampError("agent.destination", "on the agent a pipeline's destination is onramp_push (the platform's push "
                              + "API), not \(spec.destination.connector)", at: "destination.connector")
        }
        let config = spec.destination.config
        let enrolled = Enrolment.stored(in: options.spoolDirectory)
        guard let server = config["server"]?.stringValue ?? enrolled?.server else {
            throw OnrampError("config.missing", "the platform's URL is required (or enrol the agent: onramp agent enrol)",
                              at: "destination.config.server")
        }
        let given = config["push_key"]?.stringValue ?? environment["ONRAMP_PUSH_KEY"]
        if given == nil, let enrolled, Self.trimmed(server) != Self.trimmed(enrolled.server) {
            throw OnrampError("agent.server", "the agent enrolled with \(enrolled.server); its key is not sent to \(server) "
                              + "(enrol again there, or give that server's push key)", at: "destination.config.server")
        }
        guard let key = given ?? enrolled?.pushKey, !key.isEmpty else {
            throw OnrampError("config.missing", "a push key is required: enrol the agent (onramp agent enrol), or give push_key "
                              + "or ONRAMP_PUSH_KEY", at: "destination.config.push_key")
        }
        let spool = try Spool(directory: options.spoolDirectory, maxBytes: options.maxSpoolBytes)
        let stopping = StopSignal()
        var registry = registry
        registry.register(SpoolDestination.spec(spool: spool, shouldStop: { stopping.isSet }))
        if !registry.readsIncrementally(spec.source) {
            logger.warning("the source has no incremental mode: every run reads and pushes all of it again")
        }
        self.spec = spec
        self.registry = registry
        self.resources = resources
        self.options = options
        self.logger = logger
        self.spool = spool
        self.stopping = stopping
        pusher = try Pusher(spool: spool, server: server, key: key, caFile: config["ca_file"]?.stringValue, logger: logger)
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
        guard let every = options.every else {
            _ = await runOnce()
            try await pusher.run(untilEmpty: true)
            _ = await pusher.heartbeat(await statusValue())
            return
        }
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.pusher.run() }
                group.addTask {
                    while !self.isStopping, !Task.isCancelled, await self.pusher.heartbeats {
                        if await self.pusher.heartbeat(await self.statusValue()) == true {
                            self.logger.info("the platform asked for a run")
                            self.runNow.set()
                        }
                        try await Task.sleep(for: .seconds(self.options.heartbeatSeconds))
                    }
                    // No heartbeats (a plain push key): this task ends quietly and the others go on.
                    while !self.isStopping, !Task.isCancelled { try await Task.sleep(for: .milliseconds(250)) }
                }
                group.addTask {
                    while !self.isStopping, !Task.isCancelled {
                        _ = await self.runOnce()
                        await self.writeStatus()
                        var waited = 0.0
                        while waited < every, !self.isStopping, !self.runNow.take() {
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

    /// One run of the pipeline into the spool; its summary.
    public func runOnce() async -> RunSummary {
        let folder = "\(options.spoolDirectory)/runs"
        let label = "\(Int(Date().timeIntervalSince1970 * 1000))"
        var runner = PipelineRunner(spec: spec, registry: registry, resources: resources,
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
        return [
            "version": .string(Self.version),
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
    public static let version = "0.15.0"

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
