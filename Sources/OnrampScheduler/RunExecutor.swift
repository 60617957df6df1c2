import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampStore
import Synchronization

/// How an attempt ended, from the worker's side.
public enum AttemptOutcome: Sendable {
    /// The pipeline ran to an outcome (including a failed one): record it.
    case finished(RunAttemptResult)
    /// The attempt stopped at a batch boundary because the worker is shutting down: queue the run again.
    case handedBack
    /// The attempt died (its process trapped, ran out of memory, was killed): retry or give up.
    case died(String)
    /// Another worker holds the run now.
    case lostLease
}

/// What the worker asks of a running attempt.
public final class AttemptControl: Sendable {
    private let state = Mutex<(handBack: Bool, abandon: Bool)>((false, false))
    public init() {}
    /// Stop at the next batch boundary and hand the run back.
    public func requestHandBack() { state.withLock { $0.handBack = true } }
    /// Stop now: the lease is lost, nothing more may be written.
    public func abandon() { state.withLock { $0.abandon = true } }
    public var handBackRequested: Bool { state.withLock { $0.handBack } }
    public var abandoned: Bool { state.withLock { $0.abandon } }
}

/// Runs one attempt of a run; where it runs (this process, a child process) is the executor's choice.
public protocol RunExecutor: Sendable {
    func execute(_ request: RunAttemptRequest, control: AttemptControl) async -> AttemptOutcome
}

extension AttemptOutcome {
    init(_ result: RunAttemptResult) {
        switch result.stop {
        case RunStop.handBack.rawValue?: self = .handedBack
        case RunStop.leaseLost.rawValue?: self = .lostLease
        default: self = .finished(result)
        }
    }
}

/// Runs attempts in the worker's own process (tests, and embedding where isolation is not wanted): a
/// trap in a tenant's expression takes the process down with it.
public struct InProcessRunExecutor: RunExecutor {
    let store: any OnrampStore
    let registry: ConnectorRegistry
    let logger: Logger

    public init(store: any OnrampStore, registry: ConnectorRegistry, logger: Logger = Logger(label: "onramp.worker")) {
        self.store = store
        self.registry = registry
        self.logger = logger
    }

    public func execute(_ request: RunAttemptRequest, control: AttemptControl) async -> AttemptOutcome {
        AttemptOutcome(await RunAttempt.execute(request, store: store, registry: registry, logger: logger,
                                                handBack: { control.handBackRequested || control.abandoned }))
    }
}

/// Runs each attempt in its own `onramp exec-run` process with the attempt's memory limit and none of
/// the server's environment, so a trap, a runaway allocation or a stall costs that run only.
public struct ChildProcessRunExecutor: RunExecutor {
    let executable: String
    /// Arguments naming the store the child opens (e.g. `["--data", DIR]`).
    let storeArguments: [String]
    /// The child's whole environment (a shared store's URL and password: never on its command line).
    let environment: [String: String]
    /// A cgroup per child when the operator delegated one (nil: rlimits only).
    let cgroups: Cgroups?

    public init(executable: String = ChildProcess.currentExecutable, storeArguments: [String],
                environment: [String: String] = [:], cgroups: Cgroups? = nil) {
        self.executable = executable
        self.storeArguments = storeArguments
        self.environment = environment
        self.cgroups = cgroups
    }

    public func execute(_ request: RunAttemptRequest, control: AttemptControl) async -> AttemptOutcome {
        let input: Data
        do { input = try JSONEncoder().encode(request) } catch { return .died("cannot encode the attempt: \(error)") }
        let group = cgroups?.child(Cgroups.name("run", request.runId, String(request.attempt)),
                                   memoryMiB: request.limits.memoryMiB)
        defer { group.map { cgroups?.remove($0) } }
        let outcome = await ChildProcess.run(
            executable: executable, arguments: ["exec-run"] + storeArguments + Cgroups.arguments(group), input: input,
            deadline: .seconds(request.limits.wallSeconds), outputLimit: 64 << 20, environment: environment,
            control: { control.abandoned ? .kill : control.handBackRequested ? .terminate : .keep })
        switch outcome {
        case .exited(0, let output):
            guard let result = try? JSONDecoder().decode(RunAttemptResult.self, from: output) else {
                return .died("worker process answered no outcome")
            }
            return AttemptOutcome(result)
        case .exited(let status, _):
            return .died("worker process exited with status \(status)")
        case .signalled(let signal, _):
            return .died("worker process died: signal \(signal)\(Self.hint(signal, request.limits))")
        case .killed:
            return .lostLease
        case .timedOut:
            let reason = "run.limit_wall_time: the run took longer than its limit of \(Int(request.limits.wallSeconds)) s"
            return .finished(RunAttemptResult(state: .failed, summary: JSONWriter.string(RunSummary.failed(reason))))
        }
    }

    static func hint(_ signal: Int32, _ limits: RunLimits) -> String {
        [SIGILL, SIGTRAP, SIGABRT, SIGSEGV, SIGKILL].contains(signal)
            ? " (a crash, or past the memory limit of \(limits.memoryMiB) MiB)" : ""
    }
}
