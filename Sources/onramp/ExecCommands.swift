import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampScheduler
import Synchronization

/// The worker side of a run attempt (started by `serve`'s workers, not by people): reads a
/// `RunAttemptRequest` on stdin, runs it under its memory limit, prints the `RunAttemptResult`.
struct ExecRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec-run", abstract: "Run one attempt of a server run (internal).",
                                                    shouldDisplay: false)
    @OptionGroup var pluginOptions: PluginOptions
    @Option(help: "Data directory (the SQLite store, unless ONRAMP_STORE names a shared one).") var data: String
    @Option(help: "A cgroup directory to join first (repeatable).") var cgroup: [String] = []

    func run() async throws {
        ChildLimits.dieWithParent()
        ChildLimits.join(cgroup)
        let request = try JSONDecoder().decode(RunAttemptRequest.self, from: FileHandle.standardInput.readDataToEndOfFile())
        ChildLimits.limitMemory(mebibytes: request.limits.memoryMiB)
        let handBack = ChildLimits.handBackOnSIGTERM()
        var logger = Logger(label: "onramp.run")
        logger.logLevel = .info
        // The server passes a shared store in the environment (never on the command line), gone once it is open.
        let opened = try await OpenedStore.open(ProcessInfo.processInfo.environment["ONRAMP_STORE"] ?? "sqlite", data: data,
                                                migrate: false, logger: logger)
        unsetenv("ONRAMP_STORE")
        unsetenv("PGPASSWORD")
        let result = await RunAttempt.execute(request, store: opened.store, registry: try pluginOptions.registry(), logger: logger,
                                              handBack: handBack)
        FileHandle.standardOutput.write(try JSONEncoder().encode(result))
    }
}

/// The worker side of a preview: reads a `PreviewRequest` on stdin, prints the `PreviewAnswer`.
struct ExecPreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec-preview", abstract: "Run one preview (internal).",
                                                    shouldDisplay: false)

    @OptionGroup var pluginOptions: PluginOptions
    @Option(help: "A cgroup directory to join first (repeatable).") var cgroup: [String] = []

    func run() async throws {
        ChildLimits.dieWithParent()
        ChildLimits.join(cgroup)
        let request = try JSONDecoder().decode(PreviewRequest.self, from: FileHandle.standardInput.readDataToEndOfFile())
        ChildLimits.limitMemory(mebibytes: request.memoryMiB)
        let answer = await PreviewAnswer.compute(request, registry: try pluginOptions.registry())
        FileHandle.standardOutput.write(try JSONEncoder().encode(answer))
    }
}

/// What a child process does to itself before it touches a tenant's input.
enum ChildLimits {
    /// Ends this process within a second of the server that started it dying (even by SIGKILL), so no
    /// orphaned attempt writes on while another worker takes the run over.
    static func dieWithParent() {
        let parent = getppid()
        Thread.detachNewThread {
            while getppid() == parent { sleep(1) }
            _exit(70)
        }
    }

    /// Joins the cgroups the server made for this process; if it cannot, the rlimits still hold (said on stderr).
    static func join(_ directories: [String]) {
        do { try Cgroups.join(directories) } catch {
            FileHandle.standardError.write(Data("cgroup not joined (rlimits only): \(error)\n".utf8))
        }
    }

    static func limitMemory(mebibytes: Int) {
        let bytes = rlim_t(max(mebibytes, 512)) << 20
        var limit = rlimit(rlim_cur: bytes, rlim_max: bytes)
        _ = setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
    }

    /// A flag SIGTERM sets: the attempt stops at its next batch boundary and hands the run back.
    static func handBackOnSIGTERM() -> @Sendable () -> Bool {
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        source.setEventHandler { handBackFlag.withLock { $0 = true } }
        source.resume()
        signalSource = source
        return { handBackFlag.withLock { $0 } }
    }

    static let handBackFlag = Mutex(false)
    nonisolated(unsafe) static var signalSource: (any DispatchSourceSignal)?
}
