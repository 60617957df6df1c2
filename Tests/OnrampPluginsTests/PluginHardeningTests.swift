import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
@testable import OnrampPlugins
import Testing

/// What an attack review found: a plugin that leaves a process behind, a tap whose records name the stream
/// differently from its catalog id, a tap that sends only other streams' records.
@Suite struct PluginHardeningTests {
    /// A Singer tap made of `body` (Python, after `args` and `emit` are defined) in a folder of its own.
    static func tap(_ name: String, catalogStream: String = "items", limits: String = #"{"idle_seconds": 20, "timeout_seconds": 30}"#,
                    _ body: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-tap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try #"{"name": "\#(name)", "protocol": "singer", "command": "tap.py", "limits": \#(limits)}"#
            .write(to: dir.appendingPathComponent("plugin.json"), atomically: true, encoding: .utf8)
        try """
        #!/usr/bin/env python3
        import json, os, sys, time
        args = sys.argv[1:]
        def emit(m): print(json.dumps(m), flush=True)
        if "--discover" in args:
            emit({"streams": [{"tap_stream_id": "\(catalogStream)", "stream": "items", "key_properties": ["id"],
                               "schema": {"properties": {"id": {"type": "integer"}}}, "metadata": []}]})
            sys.exit(0)
        \(body)
        """.write(to: dir.appendingPathComponent("tap.py"), atomically: true, encoding: .utf8)
        chmod(dir.appendingPathComponent("tap.py").path, 0o755)
        return dir.path
    }

    @Test func aProcessThePluginLeftBehindEndsWithItAndHoldsNothingUp() async throws {
        let source = try Self.tap("leaver", """
        if os.fork() == 0:
            os.setsid()
            time.sleep(300)
            sys.exit(0)
        for i in range(1, 4): emit({"type": "RECORD", "stream": "items", "record": {"id": i}})
        """)
        let bench = try await PluginBench([], extra: ["leaver": source])
        defer { bench.remove() }
        let started = ContinuousClock.now
        let (summary, out) = try await bench.run("{connector: leaver, config: {}}")
        #expect(summary.status == .succeeded && out.count == 3, "\(summary.failureReason ?? "")")
        #expect(ContinuousClock.now - started < .seconds(150), "the run did not wait for the 300 s sleeper")
        #expect(await PluginFailureTests.orphans(of: "leaver/tap", in: bench) == 0,
                "the PID namespace took the setsid child with it")
    }

    @Test func recordsNamedByTheCatalogsStreamRatherThanItsIdArrive() async throws {
        let source = try Self.tap("aliased", catalogStream: "db-public-items", """
        for i in range(1, 6): emit({"type": "RECORD", "stream": "items", "record": {"id": i}})
        emit({"type": "STATE", "value": {"id": 5}})
        """)
        let bench = try await PluginBench([], extra: ["aliased": source])
        defer { bench.remove() }
        let (summary, out) = try await bench.run("{connector: aliased, config: {stream: db-public-items}, incremental: {replication_key: id}}")
        #expect(summary.status == .succeeded && out.count == 5, "\(summary.failureReason ?? "")")
        #expect(bench.checkpoint() == ["id": 5])
    }

    @Test func aTapThatSendsOnlyOtherStreamsFailsAndCommitsNothing() async throws {
        let source = try Self.tap("elsewhere", """
        for i in range(1, 6): emit({"type": "RECORD", "stream": "somewhere-else", "record": {"id": i}})
        emit({"type": "STATE", "value": {"id": 5}})
        emit({"type": "RECORD", "stream": "somewhere-else", "record": {"id": 6}})
        emit({"type": "STATE", "value": {"id": 6}})
        """)
        let bench = try await PluginBench([], extra: ["elsewhere": source])
        defer { bench.remove() }
        let (summary, _) = try await bench.run("{connector: elsewhere, config: {}, incremental: {replication_key: id}}")
        #expect(summary.status == .failed && summary.failureReason?.contains("plugin.wrong_stream") == true, "\(summary.failureReason ?? "")")
        #expect(bench.checkpoint() == nil, "no state of a stream it never read is committed")
    }
}
