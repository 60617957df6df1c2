import Foundation
import Logging
import OnrampCore
import Synchronization

/// One running plugin: its stdin for requests, stdout as bounded lines, stderr into the log. A watchdog kills
/// its process group past the wall-clock deadline or when Onramp has waited `idle` for output.
final class PluginProcess: Sendable {
    /// How the process ended.
    enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut(seconds: Int)
        case idle(seconds: Int)
        case stopped

        var clean: Bool { self == .exited(0) }
    }

    private struct State {
        var ending: Ending?
        var forced: Ending?
        var waiters: [CheckedContinuation<Ending, Never>] = []
    }

    private final class Status: Sendable {
        let state = Mutex(State())
    }

    let name: String
    private let process: Process
    private let stdin: FileHandle
    private let stdout = ChunkQueue()
    private let stderr: StderrLog
    private let status = Status()
    private let lines: Mutex<LineBuffer>
    private let writes = DispatchQueue(label: "onramp.plugin.stdin")
    private let sending = Mutex<ContinuousClock.Instant?>(nil)
    private let watchdog = Mutex<Task<Void, Never>?>(nil)
    private let stderrDone: Task<Void, Never>

    /// Starts the plugin; throws `plugin.start` when the program cannot be run.
    init(name: String, launch: PluginLaunch, timeout: Int, idle: Int, maxLineBytes: Int, logger: Logger,
         redactor: Redactor) throws {
        self.name = name
        PluginProcess.ignoreBrokenPipes
        process = Process()
        process.executableURL = URL(fileURLWithPath: launch.executable)
        process.arguments = launch.arguments
        process.environment = PluginLaunch.wrapperEnvironment
        process.currentDirectoryURL = URL(fileURLWithPath: launch.workingDirectory)
        let input = try Self.pipe(), output = try Self.pipe(), errors = try Self.pipe()
        process.standardInput = input.read
        process.standardOutput = output.write
        process.standardError = errors.write
        stdin = input.write
        stderr = StderrLog(plugin: name, logger: logger, redactor: redactor)
        lines = Mutex(LineBuffer(splitter: LineSplitter(maxBytes: maxLineBytes)))
        process.terminationHandler = { [status] p in
            let natural: Ending = p.terminationReason == .uncaughtSignal ? .signalled(p.terminationStatus)
                : .exited(p.terminationStatus)
            let waiters = status.state.withLock { s -> [CheckedContinuation<Ending, Never>] in
                s.ending = s.forced ?? natural
                defer { s.waiters = [] }
                return s.waiters
            }
            let ending = status.state.withLock { $0.ending! }
            kill(-p.processIdentifier, SIGKILL)   // what it left behind in its group
            waiters.forEach { $0.resume(returning: ending) }
        }
        do { try PluginSpawner.run { [process] in try process.run() } } catch {
            throw OnrampError("plugin.start", "cannot start plugin \(name) (\(launch.executable)): \(error.localizedDescription)")
        }
        try? input.read.close()
        try? output.write.close()
        try? errors.write.close()
        stdout.start(reading: output.read)
        let log = stderr
        let errorQueue = ChunkQueue(capacity: 64)
        errorQueue.start(reading: errors.read)
        stderrDone = Task.detached {
            while let chunk = await errorQueue.next() { log.append(chunk) }
            log.finish()
        }
        let started = ContinuousClock.now
        let task = Task.detached { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                guard let self else { return }
                if self.ended { return }
                let now = ContinuousClock.now
                if now - started > .seconds(timeout) {
                    self.stop(.timedOut(seconds: timeout))
                } else if let since = self.waitingSince, now - since > .seconds(idle) {
                    self.stop(.idle(seconds: idle))
                }
            }
        }
        watchdog.withLock { $0 = task }
    }

    deinit { watchdog.withLock { $0?.cancel() } }

    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// A pipe whose ends close on exec: another process this one starts meanwhile (another plugin, a test's server)
    /// never inherits them, so the plugin's output ends when the plugin does. The child gets its copies on 0-2.
    static func pipe() throws -> (read: FileHandle, write: FileHandle) {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else { throw OnrampError("plugin.start", "cannot create a pipe (errno \(errno))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (FileHandle(fileDescriptor: fds[0], closeOnDealloc: true), FileHandle(fileDescriptor: fds[1], closeOnDealloc: true))
    }

    private var ended: Bool { status.state.withLock { $0.ending != nil } }

    private var waitingSince: ContinuousClock.Instant? {
        [stdout.waitingSince, sending.withLock { $0 }].compactMap { $0 }.min()
    }

    /// Kills the plugin's process group; `reason` is what `wait()` reports.
    func stop(_ reason: Ending = .stopped) {
        let pid = status.state.withLock { s -> pid_t? in
            guard s.ending == nil else { return nil }
            if s.forced == nil { s.forced = reason }
            return process.processIdentifier
        }
        guard let pid, pid > 0 else { return }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
    }

    /// Writes one JSON message and a newline to the plugin's stdin.
    func send(_ message: Value) async throws {
        var bytes: [UInt8] = []
        JSONWriter.write(message, into: &bytes)
        bytes.append(0x0A)
        try await send(bytes)
    }

    func send(_ bytes: [UInt8]) async throws {
        sending.withLock { $0 = .now }
        defer { sending.withLock { $0 = nil } }
        let handle = stdin
        let failure: String? = await withCheckedContinuation { c in
            writes.async {
                do {
                    try handle.write(contentsOf: Data(bytes))
                    c.resume(returning: nil)
                } catch {
                    c.resume(returning: "\(error)")
                }
            }
        }
        if failure != nil {
            throw OnrampError("plugin.input_closed", "plugin \(name) stopped reading its input\(endingText())")
        }
    }

    /// Onramp reads no more of the plugin's stdout (the reading thread drains it to the end).
    func abandonOutput() { stdout.abandon() }

    /// Closes the plugin's stdin (end of requests).
    func closeInput() {
        let handle = stdin
        writes.async { try? handle.close() }
    }

    /// The next stdout line, or nil at the end of its output. A cancelled task stops the plugin.
    func nextLine() async -> LineSplitter.Line? {
        while true {
            if let line = lines.withLock({ $0.pop() }) { return line }
            let chunk = await withTaskCancellationHandler {
                await stdout.next()
            } onCancel: {
                self.stop()
            }
            guard let chunk else { return lines.withLock { $0.splitter.finish() } }
            lines.withLock { $0.feed(chunk) }
        }
    }

    /// The lines split from stdout and not yet taken, taken from the front in O(1).
    private struct LineBuffer {
        var splitter: LineSplitter
        var ready: [LineSplitter.Line] = []
        var head = 0

        mutating func feed(_ chunk: [UInt8]) {
            ready.removeFirst(head)
            head = 0
            ready += splitter.feed(chunk)
        }

        mutating func pop() -> LineSplitter.Line? {
            guard head < ready.count else { return nil }
            head += 1
            return ready[head - 1]
        }
    }

    /// Waits for the process to end and its stderr to be read to the end.
    func wait() async -> Ending {
        let ending = await withCheckedContinuation { c in
            let done = status.state.withLock { s -> Ending? in
                if let e = s.ending { return e }
                s.waiters.append(c)
                return nil
            }
            if let done { c.resume(returning: done) }
        }
        await stderrDone.value
        return ending
    }

    /// The last stderr lines (redacted), for error messages.
    var stderrTail: [String] { stderr.tail }

    /// " (exited with status 3; stderr: …)" once the process has ended, else "".
    func endingText() -> String {
        guard let e = status.state.withLock({ $0.ending }) else { return "" }
        return " (\(PluginProcess.describe(e)))" + stderrSuffix
    }

    var stderrSuffix: String {
        let tail = stderrTail.suffix(5)
        return tail.isEmpty ? "" : "; last stderr lines: " + tail.joined(separator: " | ")
    }

    static func describe(_ e: Ending) -> String {
        switch e {
        case .exited(let s): "exited with status \(s)"
        case .signalled(let s): s == SIGKILL ? "was killed (signal 9; out of memory?)" : "was killed by signal \(s)"
        case .timedOut(let t): "ran past its time limit of \(t) s and was stopped"
        case .idle(let t): "printed nothing for \(t) s and was stopped"
        case .stopped: "was stopped"
        }
    }
}
