import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
@testable import OnrampPlugins
import Testing

/// Plugins that crash, hang, print garbage or commit too early: each run ends as docs/plugin-protocol.md says,
/// the worker is unharmed, and no state is committed past what was acknowledged.
@Suite struct PluginFailureTests {
    @Test func aTapThatCrashesMidStreamFailsTheRunWithItsStderrAndCommitsNothingPastItsLastAcknowledgedState() async throws {
        let bench = try await PluginBench(["singer_crash"])
        defer { bench.remove() }
        let (summary, out) = try await bench.run("{connector: singer_crash, config: {}, incremental: {}}")
        #expect(summary.status == .failed)
        #expect(summary.failureReason?.contains("exited with status 3") == true, "\(summary.failureReason ?? "")")
        #expect(summary.failureReason?.contains("boom: lost the database") == true, "the last stderr lines are in the error")
        #expect(out.count == 8, "the records read before the crash are delivered (at least once)")
        #expect(bench.checkpoint() == nil, "its only STATE is never followed by another state or a clean end")
    }

    @Test func workingDirectoriesOfAWorkerThatDiedAreSweptAway() async throws {
        let stale = NSTemporaryDirectory() + "/onramp-plugin-2147483646-stale1"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
        try "{\"api_key\": \"left behind\"}".write(toFile: stale + "/config.json", atomically: true, encoding: .utf8)
        let live = NSTemporaryDirectory() + "/onramp-plugin-\(getpid())-live01"
        try FileManager.default.createDirectory(atPath: live, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: live) }
        // As root: one left by an isolated plugin user goes with that user's rights, not root's. Its own files and
        // links go (a link's target stays); a folder inside it that root owns, the owner cannot empty, so it stays.
        let planted = NSTemporaryDirectory() + "/onramp-plugin-2147483645-planted"
        let outside = NSTemporaryDirectory() + "/onramp-sweep-outside-\(UUID().uuidString)"
        if getuid() == 0 {
            try FileManager.default.createDirectory(atPath: planted + "/inner", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: planted + "/rootowned", withIntermediateDirectories: true)
            try "root's".write(toFile: planted + "/rootowned/file", atomically: true, encoding: .utf8)
            try "keep".write(toFile: outside, atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: planted + "/inner/link", withDestinationPath: outside)
            for p in [planted, planted + "/inner"] { chown(p, 2_100_000_123, 65534) }
            lchown(planted + "/inner/link", 2_100_000_123, 65534)
        }
        defer { try? FileManager.default.removeItem(atPath: outside); try? FileManager.default.removeItem(atPath: planted) }
        PluginRuntime.sweepStale()
        #expect(!FileManager.default.fileExists(atPath: stale), "no process 2147483646: its directory goes")
        #expect(FileManager.default.fileExists(atPath: live), "a live process keeps its own")
        if getuid() == 0 {
            #expect(!FileManager.default.fileExists(atPath: planted + "/inner"), "its owner's folder and link are gone")
            #expect(FileManager.default.fileExists(atPath: planted + "/rootowned/file"), "removed as its owner, not as root")
            #expect((try? String(contentsOfFile: outside, encoding: .utf8)) == "keep", "a link's target is left alone")
        }
    }

    @Test func aTapThatHangsIsStoppedAtItsIdleLimit() async throws {
        let bench = try await PluginBench(["singer_hang"])
        defer { bench.remove() }
        let (summary, out) = try await bench.run("{connector: singer_hang, config: {}}")
        #expect(summary.status == .failed)
        #expect(summary.failureReason?.contains("printed nothing for 2 s") == true, "\(summary.failureReason ?? "")")
        #expect(out.count == 2)
        #expect(await Self.orphans(of: "singer_hang", in: bench) == 0, "the plugin's process group is gone")
    }

    /// A tap that keeps printing is never idle: its wall-clock limit (`timeout_seconds`) stops it.
    @Test func aTapThatNeverStopsTalkingIsStoppedAtItsTimeLimit() async throws {
        let bench = try await PluginBench(["singer_chatty"])
        defer { bench.remove() }
        let (summary, out) = try await bench.run("{connector: singer_chatty, config: {}, incremental: {}}")
        #expect(summary.status == .failed)
        #expect(summary.failureReason?.contains("ran past its time limit of 3 s") == true, "\(summary.failureReason ?? "")")
        #expect(out.count >= 5, "it printed a record every 0.2 s, each delivered: \(out.count)")
        #expect(bench.checkpoint() == nil, "it printed no state")
        #expect(await Self.orphans(of: "singer_chatty", in: bench) == 0, "the plugin's process group is gone")
    }

    @Test func malformedLinesAreErrorRecordsWithTheirLineAndTheGoodRecordsAroundThemArrive() async throws {
        let bench = try await PluginBench(["singer_garbage"])
        defer { bench.remove() }
        let (summary, out) = try await bench.run("{connector: singer_garbage, config: {}, incremental: {}}")
        #expect(summary.status == .succeededWithErrors, "\(summary.failureReason ?? "")")
        #expect(out.compactMap { $0["id"]?.numberValue } == [1, 2, 3, 4, 5, 7])
        let errors = bench.errors(summary)
        #expect(errors.map { $0["line"]?.numberValue ?? 0 } == [3, 5, 7, 9, 11], "\(errors)")
        #expect(errors.map { $0["code"]?.stringValue ?? "" } == ["plugin.bad_message", "plugin.bad_message", "plugin.bad_message",
                                                                  "plugin.bad_message", "plugin.line_too_long"])
        #expect(bench.checkpoint() == ["bookmarks": ["items": ["id": 7]]], "a clean end commits the last state")
    }

    @Test func aStatePrintedBeforeItsRecordsIsNotCommittedWhenTheTapThenFails() async throws {
        let bench = try await PluginBench(["singer_state_first"])
        defer { bench.remove() }
        let (summary, out) = try await bench.run("{connector: singer_state_first, config: {}, incremental: {}}")
        #expect(summary.status == .failed)
        #expect(out.count == 10)
        #expect(bench.checkpoint() == nil, "the next run reads the ten records again")
    }

    @Test func anAirbyteTraceErrorFailsTheRunWithItsMessageAndKeepsTheLastCommittedState() async throws {
        let bench = try await PluginBench(["airbyte_mock"])
        defer { bench.remove() }
        let (summary, out) = try await bench.run(
            "{connector: airbyte_mock, config: {stream: items, settings: {count: 30, fail: read, api_key: k3y-s3cr3t}}, incremental: {}}")
        #expect(summary.status == .failed)
        #expect(summary.failureReason?.contains("upstream 500") == true, "\(summary.failureReason ?? "")")
        #expect(out.count == 5 && bench.checkpoint() == nil)
        let check = try bench.registry.makeSource(PipelineSpec.ConnectorRef(
            connector: "airbyte_mock", config: ["settings": ["count": 1, "fail": "check"]], incremental: nil), resources: ConnectorResources())
        do {
            _ = try await check.check()
            Issue.record("a failed check passed")
        } catch let e as OnrampError {
            #expect(e.code == "plugin.check_failed" && e.message.contains("refused the credentials"), "\(e)")
        }
    }

    @Test func aPluginSeesOnlyItsManifestsEnvironmentRunsAsAUserOfItsOwnAndHasNoNetwork() async throws {
        setenv("ONRAMP_TEST_SERVER_SECRET", "do-not-leak", 1)
        let checked = try await PluginBench([], extra: ["probe": try Self.probePlugin()])
        defer { checked.remove() }
        let (summary, out) = try await checked.run("{connector: probe, config: {}}")
        #expect(summary.status == .succeeded, "\(summary.failureReason ?? "")")
        let seen = try #require(out.first)
        let env = seen["env"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(!env.contains("ONRAMP_TEST_SERVER_SECRET") && env.contains("PROBE_SETTING"), "\(env)")
        #expect(Set(env).isSubset(of: ["PROBE_SETTING", "PATH", "HOME", "TMPDIR", "LANG", "PYTHONUNBUFFERED",
                                       "PYTHONDONTWRITEBYTECODE", "PWD", "SHLVL", "_", "LC_CTYPE"]), "\(env)")
        if getuid() == 0 {
            let uid = try #require(seen["uid"]?.numberValue)
            #expect(uid >= 2_100_000_000, "root's worker runs each plugin process as a user of its own")
            let (_, again) = try await checked.run("{connector: probe, config: {}}")
            #expect(again.first?["uid"]?.numberValue != uid, "another process, another user: neither reads the other's files")
            #expect(seen["reads_root_home"] == false)
            #expect(seen["network"] == "unreachable", "network: false leaves only an unconfigured loopback")
        }
        #expect(seen["config_mode"] == "0o600")
    }

    @Test func aPluginPastItsMemoryLimitFailsItsRunNotTheWorker() async throws {
        let hungry = try await PluginBench([], extra: ["hungry": try Self.probePlugin(allocate: 512)])
        defer { hungry.remove() }
        let (summary, _) = try await hungry.run("{connector: hungry, config: {}}")
        #expect(summary.status == .failed)
        #expect(summary.failureReason?.contains("MemoryError") == true, "\(summary.failureReason ?? "")")
    }

    /// A Singer tap printing what it can see: its environment's names, uid, its config file's mode, the network.
    static func probePlugin(allocate mib: Int = 0) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try #"{"name": "probe", "protocol": "singer", "command": "probe.py", "env": {"PROBE_SETTING": "1"}, "network": false,"#
            .appending(#" "limits": {"memory_mb": 128, "idle_seconds": 20, "timeout_seconds": 30}}"#)
            .write(to: dir.appendingPathComponent("plugin.json"), atomically: true, encoding: .utf8)
        try """
        #!/usr/bin/env python3
        import json, os, socket, stat, sys
        args = sys.argv[1:]
        config = args[args.index("--config") + 1]
        if "--discover" in args:
            print(json.dumps({"streams": [{"tap_stream_id": "probe", "schema": {"properties": {}}, "metadata": []}]}))
            sys.exit(0)
        hog = bytearray(\(mib) * 1024 * 1024)
        try:
            os.listdir("/root"); reads = True
        except OSError:
            reads = False
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=2); net = "reachable"
        except OSError:
            net = "unreachable"
        mode = oct(stat.S_IMODE(os.stat(config).st_mode))
        rec = {"env": sorted(os.environ), "uid": os.getuid(), "reads_root_home": reads, "network": net, "config_mode": mode}
        print(json.dumps({"type": "RECORD", "stream": "probe", "record": rec}))
        """.write(to: dir.appendingPathComponent("probe.py"), atomically: true, encoding: .utf8)
        chmod(dir.appendingPathComponent("probe.py").path, 0o755)
        return dir.path
    }

    /// Processes of `bench` whose command line names `plugin` + ".py", once they had up to 3 s to go: the kernel tears
    /// a PID namespace down after its first process is reaped. Other tests' plugins (they run in parallel) don't count.
    static func orphans(of plugin: String, in bench: PluginBench) async -> Int {
        func count() -> Int {
            let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return pids.filter { pid in
                guard Int(pid) != nil, let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                let line = String(decoding: cmd, as: UTF8.self)
                return line.contains(plugin + ".py") && line.contains(bench.root.path)
            }.count
        }
        for _ in 0..<30 where count() > 0 { try? await Task.sleep(for: .milliseconds(100)) }
        return count()
    }
}

/// A plugin that prints its secret everywhere it can: logs, stderr and its error message all show `***`.
@Suite struct PluginSecretTests {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
        var all: String { lock.lock(); defer { lock.unlock() }; return lines.joined(separator: "\n") }
    }

    struct Collecting: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
                 function: String, line: UInt) { lines.add(message.description) }
    }

    @Test func theSettingsSecretIsRedactedFromLogsStderrAndErrors() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-leaky-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = #"{"type":"SPEC","spec":{"connectionSpecification":{"type":"object","properties":{"api_key":{"type":"string","airbyte_secret":true}}}}}"#
        try #"{"name": "leaky", "protocol": "airbyte", "command": "leaky.py", "limits": {"idle_seconds": 20}}"#
            .write(to: dir.appendingPathComponent("plugin.json"), atomically: true, encoding: .utf8)
        try """
        #!/usr/bin/env python3
        import json, sys
        if sys.argv[1] == "spec":
            print('\(spec)'); sys.exit(0)
        key = json.load(open(sys.argv[sys.argv.index("--config") + 1]))["api_key"]
        print("stderr has " + key, file=sys.stderr)
        print(json.dumps({"type": "LOG", "log": {"level": "INFO", "message": "log has " + key}}))
        print(json.dumps({"type": "TRACE", "trace": {"type": "ERROR", "error": {"message": "error has " + key}}}))
        sys.exit(1)
        """.write(to: dir.appendingPathComponent("leaky.py"), atomically: true, encoding: .utf8)
        chmod(dir.appendingPathComponent("leaky.py").path, 0o755)
        let bench = try await PluginBench([], extra: ["leaky": dir.path])
        defer { bench.remove() }
        let lines = Lines()
        let resources = ConnectorResources(logger: Logger(label: "test") { _ in Collecting(lines: lines) })
        let source = try bench.registry.makeSource(PipelineSpec.ConnectorRef(
            connector: "leaky", config: ["settings": ["api_key": "k3y-0f-the-tenant"]], incremental: nil), resources: resources)
        do {
            _ = try await source.check()
            Issue.record("the check passed")
        } catch let e as OnrampError {
            #expect(e.message.contains("error has ***") && !e.message.contains("k3y-0f-the-tenant"), "\(e)")
        }
        #expect(lines.all.contains("stderr has ***") && !lines.all.contains("k3y-0f-the-tenant"), "\(lines.all)")
    }
}
