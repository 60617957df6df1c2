import Foundation
import Synchronization

/// Runs one of our own subcommands as a child process with an empty environment: writes `input` to its
/// stdin, collects at most `outputLimit` bytes of its stdout, and stops it when `control` says so or the
/// deadline passes (SIGTERM first when asked to stop, SIGKILL when told to or at the deadline).
public enum ChildProcess {
    public enum Control: Sendable { case keep, terminate, kill }

    public enum Outcome: Sendable, Equatable {
        case exited(status: Int32, output: Data)
        case signalled(Int32, output: Data)
        case timedOut
        case killed
    }

    public static func run(executable: String, arguments: [String], input: Data, deadline: Duration,
                           outputLimit: Int = 16 << 20, environment: [String: String] = [:],
                           control: @escaping @Sendable () -> Control = { .keep }) async -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // None of the server's environment; the backtracer off so a trapping child dies at once.
        process.environment = environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { a, _ in a }
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        do { try process.run() } catch { return .exited(status: 127, output: Data("cannot start \(executable): \(error)".utf8)) }
        let collected = Collector(limit: outputLimit)
        let reader = Thread {
            let handle = stdout.fileHandleForReading
            while case let chunk = handle.availableData, !chunk.isEmpty { collected.append(chunk) }
            collected.finish()
        }
        reader.start()
        DispatchQueue.global().async {
            try? stdin.fileHandleForWriting.write(contentsOf: input)
            try? stdin.fileHandleForWriting.close()
        }
        let start = ContinuousClock.now
        var terminated = false
        var forced: Outcome?
        while process.isRunning {
            switch control() {
            case .kill:
                kill(process.processIdentifier, SIGKILL)
                forced = forced ?? .killed
            case .terminate where !terminated:
                kill(process.processIdentifier, SIGTERM)
                terminated = true
            default:
                break
            }
            if Task.isCancelled {
                // The caller is gone: leave no child behind (and do not spin on a cancelled sleep).
                kill(process.processIdentifier, SIGKILL)
                forced = forced ?? .killed
            }
            if ContinuousClock.now - start > deadline {
                kill(process.processIdentifier, SIGKILL)
                forced = forced ?? .timedOut
            }
            if forced != nil || Task.isCancelled {
                usleep(10_000)
            } else {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        process.waitUntilExit()
        let output = await collected.wait()
        if let forced { return forced }
        if process.terminationReason == .uncaughtSignal { return .signalled(process.terminationStatus, output: output) }
        return .exited(status: process.terminationStatus, output: output)
    }

    /// The running binary, for starting its own subcommands.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    final class Collector: Sendable {
        let limit: Int
        private let state = Mutex<(data: Data, done: Bool, waiter: CheckedContinuation<Data, Never>?)>((Data(), false, nil))
        init(limit: Int) { self.limit = limit }

        func append(_ chunk: Data) {
            state.withLock { s in
                if s.data.count < limit { s.data.append(chunk.prefix(limit - s.data.count)) }
            }
        }

        func finish() {
            let waiter = state.withLock { s -> CheckedContinuation<Data, Never>? in
                s.done = true
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(returning: state.withLock { $0.data })
        }

        func wait() async -> Data {
            await withCheckedContinuation { c in
                let ready = state.withLock { s -> Data? in
                    if s.done { return s.data }
                    s.waiter = c
                    return nil
                }
                if let ready { c.resume(returning: ready) }
            }
        }
    }
}
