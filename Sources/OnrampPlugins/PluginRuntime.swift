import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore

/// What starting one of a plugin's processes needs: its manifest and directory, the user it runs as, the log,
/// the secrets to redact. Each process gets a fresh working directory (mode 0700, owned by the plugin's user)
/// holding its config, catalog and state files (0600); the directory is removed when the process is done.
public struct PluginRuntime: Sendable {
    public var manifest: PluginManifest
    public var directory: String
    public var runAs: PluginLaunch.RunAs?
    /// The run's logger, with the settings' secret values redacted.
    public let logger: Logger
    let redactor: Redactor

    public init(manifest: PluginManifest, directory: String, runAs: PluginLaunch.RunAs?, logger: Logger,
                redactor: Redactor = .none) {
        self.manifest = manifest
        self.directory = directory
        self.runAs = runAs
        self.redactor = redactor
        var redacting = logger
        if !redactor.isEmpty {
            let handler = logger.handler
            redacting = Logger(label: logger.label) { _ in RedactingLogHandler(inner: handler, redactor: redactor) }
        }
        self.logger = redacting
    }

    /// A runtime for one connector or step instance: the run's logger, and the secret values of `settings` (by the
    /// plugin's `schema`) to redact.
    init(manifest: PluginManifest, directory: String, runAs: PluginLaunch.RunAs?, resources: ConnectorResources,
         settings: Value, schema: Value?) {
        self.init(manifest: manifest, directory: directory, runAs: runAs, logger: resources.logger,
                  redactor: Redactor(secrets: PluginSourceConfig.secrets(in: settings, schema: schema)))
    }

    /// A plugin's words (its failure, check or trace message) with the settings' secret values redacted.
    func redact(_ text: String) -> String { redactor.string(text) }

    /// An error record the plugin made (or its raw stdout line) with the settings' secret values redacted.
    func redact(_ e: RecordError) -> RecordError {
        guard !redactor.isEmpty else { return e }
        var out = e
        out.message = redactor.string(e.message)
        out.value = e.value.map(redactor.value)
        return out
    }

    /// Limits for spec, check and discover: at most two minutes.
    static let shortOperation = 120

    /// A running operation: the process and its working directory.
    final class Operation: Sendable {
        let process: PluginProcess
        let workingDirectory: String
        init(process: PluginProcess, workingDirectory: String) {
            self.process = process
            self.workingDirectory = workingDirectory
        }

        /// Stops the process if still running and removes its working directory.
        func finish() async -> PluginProcess.Ending {
            process.closeInput()
            let ending = await process.wait()
            process.abandonOutput()
            try? FileManager.default.removeItem(atPath: workingDirectory)
            return ending
        }

        func kill() async {
            process.stop()
            _ = await finish()
        }
    }

    /// Starts the plugin with `arguments`; `files` are written to its working directory first and
    /// `{name}` in an argument becomes that file's path.
    func start(_ arguments: [String], files: [String: Value] = [:], short: Bool) throws -> Operation {
        Self.sweep
        let runAs = runAs?.resolved()
        let work = try Self.makeWorkingDirectory(owner: runAs)
        do {
            for (name, value) in files {
                try Self.writePrivate(JSONWriter.string(value), to: work + "/" + name, owner: runAs)
            }
            let args = arguments.map { a in
                files.keys.reduce(a) { $0.replacingOccurrences(of: "{\($1)}", with: work + "/" + $1) }
            }
            let launch = PluginLaunch.make(manifest: manifest, directory: directory, arguments: args,
                                           workingDirectory: work, runAs: runAs)
            try Self.writePrivate(launch.environmentFileText, to: work + "/" + PluginLaunch.environmentFile, owner: runAs)
            let limits = manifest.limits
            let cap = short ? Self.shortOperation : Int.max
            let process = try PluginProcess(name: manifest.name, launch: launch,
                                            timeout: min(limits.timeoutSeconds, cap), idle: min(limits.idleSeconds, cap),
                                            maxLineBytes: limits.maxLineBytes, logger: logger, redactor: redactor)
            return Operation(process: process, workingDirectory: work)
        } catch {
            try? FileManager.default.removeItem(atPath: work)
            throw error
        }
    }

    static let prefix = "onramp-plugin-"

    /// Removes working directories left by processes that died without cleaning up (a worker killed with -9),
    /// once per process: their config files may hold secrets.
    static let sweep: Void = sweepStale()

    /// A folder owned by another user (a plugin's, or planted by one) is removed with that user's rights, never
    /// root's: a plugin that swaps a folder inside for a link while it is removed reaches only its own files.
    /// At most `maxSwept` folders a sweep, one `rm` per owner: planted folders cannot stall a plugin's start.
    static func sweepStale() {
        let tmp = NSTemporaryDirectory()
        var byOwner: [uid_t: [String]] = [:]
        var count = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix(prefix) {
            guard count < maxSwept, let pid = Int32(name.dropFirst(prefix.count).split(separator: "-").first ?? ""),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = tmp + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
            count += 1
            if info.st_uid == getuid() {
                try? FileManager.default.removeItem(atPath: path)
            } else if getuid() == 0 {
                byOwner[info.st_uid, default: []].append(path)
            }
        }
        for (uid, paths) in byOwner.sorted(by: { $0.key < $1.key }) {
            let rm = Process()
            rm.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            rm.arguments = ["--reuid=\(uid)", "--regid=65534", "--clear-groups", "--",
                            "/bin/rm", "-rf", "--one-file-system", "--"] + paths
            rm.environment = PluginLaunch.wrapperEnvironment
            rm.standardError = FileHandle.nullDevice
            guard (try? rm.run()) != nil else { continue }
            rm.waitUntilExit()
        }
    }

    static let maxSwept = 256

    static func makeWorkingDirectory(owner: PluginLaunch.RunAs?) throws -> String {
        var template = Array((NSTemporaryDirectory() + "/\(prefix)\(getpid())-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw OnrampError("plugin.workdir", "cannot create a working directory for the plugin (errno \(errno))")
        }
        let path = String(cString: made)
        if let owner, let uid = owner.uid { chown(path, uid, owner.gid) }
        return path
    }

    static func writePrivate(_ text: String, to path: String, owner: PluginLaunch.RunAs?) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OnrampError("plugin.workdir", "cannot write the plugin's \(path.split(separator: "/").last ?? "")") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw OnrampError("plugin.workdir", "cannot write the plugin's files (errno \(errno))") }
            written += n
        }
        if let owner, let uid = owner.uid { fchown(fd, uid, owner.gid) }
    }

    /// Runs an operation to its end, collecting every stdout message (spec, check, discover). `log` messages go to
    /// the log and lines that are not JSON objects are logged and skipped; the answer is kept up to `max_line_bytes`.
    func collect(_ arguments: [String], files: [String: Value] = [:], input: [Value] = []) async throws
        -> (messages: [Value], ending: PluginProcess.Ending, operation: Operation) {
        var messages: [Value] = []
        let (ending, op) = try await readAll(arguments, files: files, input: input) { line in
            switch PluginMessage.parse(line) {
            case .message(let m) where ["log", "LOG"].contains(m["type"]?.stringValue ?? ""):
                logger.info("plugin \(manifest.name): \(PluginMessage.text(m["message"] ?? m["log"]?["message"]) ?? "")")
                return 0
            case .message(let m):
                messages.append(m)
                if case .text(let bytes, _) = line { return bytes.count }
                return 0
            case .bad(let e):
                logger.warning("plugin \(manifest.name): \(e.message) (stdout line \(e.position.line ?? 0))")
                return 0
            }
        }
        return (messages, ending, op)
    }

    /// Runs an operation to its end and returns its whole stdout (a Singer catalog, often pretty-printed), at
    /// most `limits.max_line_bytes`.
    func collectText(_ arguments: [String], files: [String: Value] = [:]) async throws
        -> (text: [UInt8], ending: PluginProcess.Ending, operation: Operation) {
        var text: [UInt8] = []
        let (ending, op) = try await readAll(arguments, files: files) { line in
            guard case .text(let bytes, _) = line else { return Int.max }
            text += bytes
            text.append(0x0A)
            return bytes.count + 1
        }
        return (text, ending, op)
    }

    /// Starts a short operation, sends `input`, and hands each stdout line to `take`, which answers how many bytes it
    /// kept; past `limits.max_line_bytes` in all the plugin is stopped (`plugin.output_too_large`).
    private func readAll(_ arguments: [String], files: [String: Value], input: [Value] = [],
                         _ take: (LineSplitter.Line) -> Int) async throws -> (PluginProcess.Ending, Operation) {
        let op = try start(arguments, files: files, short: true)
        for message in input { try? await op.process.send(message) }
        op.process.closeInput()
        var kept = 0
        while let line = await op.process.nextLine() {
            let (sum, overflow) = kept.addingReportingOverflow(take(line))
            kept = sum
            guard !overflow, kept <= manifest.limits.maxLineBytes else {
                op.process.stop()
                _ = await op.finish()
                throw OnrampError("plugin.output_too_large", "plugin \(manifest.name)'s answer is larger than "
                                  + "limits.max_line_bytes (\(manifest.limits.maxLineBytes) bytes)")
            }
        }
        return (await op.finish(), op)
    }

    /// The error for a process that ended badly, with its last stderr lines.
    func failure(_ op: Operation, _ ending: PluginProcess.Ending, doing what: String) -> OnrampError {
        let code: String = switch ending {
        case .timedOut: "plugin.timeout"
        case .idle: "plugin.idle"
        default: "plugin.failed"
        }
        return OnrampError(code, "plugin \(manifest.name) \(PluginProcess.describe(ending)) during \(what)"
                           + op.process.stderrSuffix)
    }
}
