import Foundation
import Logging
import OnrampCore
import OnrampEngine
import OnrampStore
import ServiceLifecycle

/// Delivers finished runs' webhooks from their notices (the outbox on the run): claims the due ones, sends each
/// target not yet sent once, and settles the notice (delivered, retried with backoff, or abandoned after
/// `maxAttempts`). Runs however a run ended (recorded, given up after its worker died, cancelled while queued), at
/// least once; a notifier that dies mid-delivery leaves the notice to be claimed again after `lease`.
public final class RunNotifier: Service, Sendable {
    /// Where one notice goes: `name` ("pipeline", "tenant") is what `RunNotice.sent` remembers.
    public struct Target: Sendable {
        public var name: String
        public var notify: PipelineSpec.Notify
        public init(name: String, notify: PipelineSpec.Notify) {
            self.name = name
            self.notify = notify
        }
    }

    /// The run's targets, and a reason for each one that is configured but cannot be sent now (its secret gone).
    public typealias Targets = @Sendable (_ run: RunRecord) async -> (targets: [Target], problems: [String])
    /// One delivery attempt: nil when answered 2xx, otherwise why not.
    public typealias Delivery = @Sendable (_ payload: Value, _ notify: PipelineSpec.Notify, _ deliveryId: String) async -> String?

    public struct Options: Sendable {
        /// Seconds a claimed notice is held; longer than a delivery to every target takes.
        public var lease: TimeInterval = 120
        /// Seconds between looks for due notices when nobody rings.
        public var poll: TimeInterval = 15
        public var maxAttempts = 8
        /// Backoff after the first failed attempt, doubling up to `maxDelay`: 8 attempts span about 40 minutes.
        public var firstDelay: TimeInterval = 20
        public var maxDelay: TimeInterval = 1800
        public var batch = 16
        public var owner = "notifier-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        public init() {}
    }

    let store: any OnrampStore
    let targets: Targets
    let delivery: Delivery
    let options: Options
    let logger: Logger
    private let doorbell = Doorbell()

    public init(store: any OnrampStore, options: Options = Options(), logger: Logger = Logger(label: "onramp.webhook"),
                targets: @escaping Targets, delivery: @escaping Delivery) {
        self.store = store
        self.options = options
        self.logger = logger
        self.targets = targets
        self.delivery = delivery
    }

    /// Tells the notifier a run ended.
    public func wake() { Task { await doorbell.ring() } }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled, await doorbell.isOpen {
                // A full batch: there may be more due at once.
                if await deliverDue() >= options.batch { continue }
                await doorbell.wait(timeout: options.poll)
            }
        } onGracefulShutdown: {
            Task { await self.doorbell.close() }
        }
    }

    /// Claims and delivers the notices due at `now`; returns how many were claimed.
    @discardableResult
    public func deliverDue(now: Date = Date()) async -> Int {
        let claimed: [RunRecord]
        do {
            claimed = try await store.claimNotices(owner: options.owner, now: now, lease: options.lease, limit: options.batch)
        } catch {
            logger.error("could not claim run notices", metadata: ["error": "\(error)"])
            return 0
        }
        // At once: one receiver that hangs until the timeout does not hold up the others of the batch.
        await withDiscardingTaskGroup { group in
            for run in claimed { group.addTask { await self.deliver(run) } }
        }
        return claimed.count
    }

    func deliver(_ run: RunRecord) async {
        guard let notice = run.notice else { return }
        if notice.attempts > options.maxAttempts {
            // The attempt before never settled (a delivery that outlasted its lease, a crash): give up, as for runs.
            let outcome = RunNotice.Outcome(sent: [], failure: (notice.lastError.map { $0 + "; " } ?? "")
                                            + "gave up after \(options.maxAttempts) attempts")
            _ = try? await store.settleNotice(runId: run.id, owner: options.owner, attempt: notice.attempts, outcome, at: Date())
            return
        }
        let (all, problems) = await targets(run)
        let payload = Self.payload(run)
        var sent: [String] = []
        var failures = problems
        for target in all where !notice.sent.contains(target.name) {
            // Each target its own id, so one receiver behind both targets does not drop the second as a repeat.
            if let failure = await delivery(payload, target.notify, "\(run.id):\(target.name)") {
                failures.append("\(target.name) webhook \(target.notify.url): \(failure)")
            } else {
                sent.append(target.name)
            }
        }
        let now = Date()
        let failure = failures.isEmpty ? nil : failures.joined(separator: "; ")
        let retryAt = failure == nil || notice.attempts >= options.maxAttempts ? nil
            : now.addingTimeInterval(Self.delay(attempt: notice.attempts, options: options, jitter: Double.random(in: 0..<1)))
        let outcome = RunNotice.Outcome(sent: sent, failure: failure, retryAt: retryAt)
        var log = logger
        log[metadataKey: "run_id"] = "\(run.id)"
        log[metadataKey: "tenant_id"] = "\(run.tenantId)"
        do {
            guard try await store.settleNotice(runId: run.id, owner: options.owner, attempt: notice.attempts, outcome, at: now)
            else { return log.warning("a run notice's claim ran out during its delivery; it is sent again") }
        } catch {
            return log.error("could not settle a run notice; it is sent again", metadata: ["error": "\(error)"])
        }
        if let failure {
            log.warning(retryAt == nil ? "webhook given up" : "webhook failed; retried later",
                        metadata: ["attempt": "\(notice.attempts)", "reason": "\(failure)"])
        } else if !sent.isEmpty {
            log.info("webhook sent", metadata: ["targets": "\(sent.joined(separator: ","))", "attempt": "\(notice.attempts)"])
        }
    }

    /// Seconds before the attempt after `attempt` (counted from 1), with jitter (uniform in 0..<1) over its upper half.
    static func delay(attempt: Int, options: Options, jitter: Double) -> TimeInterval {
        let ceiling = min(options.maxDelay, options.firstDelay * Double(1 << min(max(attempt - 1, 0), 30)))
        return ceiling * (0.5 + jitter / 2)
    }

    /// What a webhook receives: the run summary without server paths, with the run's ids and end state.
    public static func payload(_ run: RunRecord) -> Value {
        var payload = run.summary?.objectValue ?? [:]
        for key in RunSummary.artifactKeys { payload[key] = nil }
        payload["run_id"] = .string(run.id)
        payload["tenant_id"] = .string(run.tenantId)
        payload["pipeline_id"] = .string(run.pipelineId)
        payload["state"] = .string(run.state.rawValue)
        return .object(payload)
    }
}
