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

    /// `command` and `args` run through `/bin/sh` (for `ulimit`; a limit above the worker's own keeps the worker's),
    /// wrapped by `setpriv` (killed when the worker dies; another user when `runAs`) and `unshare` (no network).
    public static func make(manifest: PluginManifest, directory: String, arguments extra: [String], workingDirectory: String,
                            runAs: RunAs?, hostIsRoot: Bool = getuid() == 0) -> PluginLaunch {
        var argv: [String] = []
        if !manifest.network {
            argv += hostIsRoot ? ["/usr/bin/unshare", "--net", "--"] : ["/usr/bin/unshare", "--user", "--net", "--"]
        }
        argv += ["/usr/bin/setpriv", "--pdeathsig", "KILL"]
        if let runAs, let uid = runAs.uid { argv += ["--reuid=\(uid)", "--regid=\(runAs.gid)", "--clear-groups"] }
        argv.append("--")
        let kib = manifest.limits.memoryMb * 1024
        argv += ["/bin/sh", "-c", "ulimit -v \(kib) 2>/dev/null; ulimit -c 0; exec \"$0\" \"$@\"",
                 manifest.executable(in: directory)] + manifest.args + extra
        var env = manifest.env
        let venv = directory + "/venv/bin"
        env["PATH"] = env["PATH"] ?? "\(venv):/usr/local/bin:/usr/bin:/bin"
        env["HOME"] = workingDirectory
        env["TMPDIR"] = workingDirectory
        env["LANG"] = env["LANG"] ?? "C.UTF-8"
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return PluginLaunch(executable: argv[0], arguments: Array(argv.dropFirst()), environment: env,
                            workingDirectory: workingDirectory)
    }
}
