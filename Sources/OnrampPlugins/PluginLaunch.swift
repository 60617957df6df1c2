import Foundation

/// How a plugin process is started: the argument vector (sandbox wrappers first), its environment and
/// working directory. Pure: built from the manifest and the host's options, tested without processes.
public struct PluginLaunch: Sendable, Equatable {
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    public var workingDirectory: String

    /// The Unix user plugins run as (the host's user when nil).
    public struct RunAs: Sendable, Equatable {
        /// nil: a user of its own for every process, so no plugin reads another's working directory.
        public var uid: UInt32?
        public var gid: UInt32

        public init(uid: UInt32?, gid: UInt32) {
            self.uid = uid
            self.gid = gid
        }

        /// Isolated users (a fresh UID per process, group `nogroup`) when this process is root, else nil (a
        /// process that is not root cannot change user).
        public static var hostDefault: RunAs? { getuid() == 0 ? .isolated : nil }
        public static let isolated = RunAs(uid: nil, gid: 65534)

        /// The UIDs isolated processes get: unused by any account, one picked at random per process.
        static let isolatedUIDs: ClosedRange<UInt32> = 2_100_000_000...2_101_000_000

        /// This process's user: the fixed one, or a fresh isolated UID.
        func resolved() -> RunAs { RunAs(uid: uid ?? UInt32.random(in: Self.isolatedUIDs), gid: gid) }
    }

    /// The wrappers run with only this environment. The plugin's own is read by the shell from `plugin.env` in its
    /// working directory (0600, after the user switch): nothing a manifest sets (LD_PRELOAD) runs with the worker's
    /// powers, and no value shows in a process's command line.
    static let wrapperEnvironment = ["PATH": "/usr/bin:/bin"]
    static let environmentFile = "plugin.env"

    /// The argument vector: `setpriv --pdeathsig` (dies with the worker), `unshare --pid --fork --kill-child` (a
    /// PID namespace: when the plugin ends, or is killed, every process it started ends too; `--net` for no
    /// network), `setpriv` again for the user, `/bin/sh` for `ulimit` (a limit above the worker's own keeps the
    /// worker's; processes capped for an isolated user) and the environment file, then the program.
    public static func make(manifest: PluginManifest, directory: String, arguments extra: [String], workingDirectory: String,
                            runAs: RunAs?, hostIsRoot: Bool = getuid() == 0) -> PluginLaunch {
        var argv = ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", "/usr/bin/unshare"]
        if !hostIsRoot { argv += ["--user", "--map-current-user"] }
        argv += ["--pid", "--fork", "--kill-child"] + (manifest.network ? [] : ["--net"]) + ["--"]
        if let runAs, let uid = runAs.uid {
            // The kernel clears a parent-death signal when the user changes: set again, so the plugin dies with unshare.
            argv += ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(runAs.gid)", "--clear-groups", "--pdeathsig", "KILL", "--"]
        }
        var env = manifest.env
        let venv = directory + "/venv/bin"
        env["PATH"] = env["PATH"] ?? "\(venv):/usr/local/bin:/usr/bin:/bin"
        env["HOME"] = workingDirectory
        env["TMPDIR"] = workingDirectory
        env["LANG"] = env["LANG"] ?? "C.UTF-8"
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        let kib = manifest.limits.memoryMb * 1024
        let processes = runAs?.uid != nil ? "ulimit -u \(maxProcesses) 2>/dev/null; " : ""
        let script = "ulimit -v \(kib) 2>/dev/null; ulimit -c 0; \(processes)set -a; . ./\(environmentFile) || exit 126; set +a; "
            + "exec \"$0\" \"$@\""
        argv += ["/bin/sh", "-c", script,
                 manifest.executable(in: directory)] + manifest.args + extra
        return PluginLaunch(executable: argv[0], arguments: Array(argv.dropFirst()), environment: env,
                            workingDirectory: workingDirectory)
    }

    /// `environment` as the shell lines of `plugin.env` (names were checked when the manifest was read).
    public var environmentFileText: String {
        environment.sorted { $0.key < $1.key }.map { "\($0.key)='\($0.value.replacingOccurrences(of: "'", with: "'\\''"))'\n" }
            .joined()
    }

    /// Processes and threads an isolated plugin user may have at once.
    static let maxProcesses = 1024
}
