import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
@testable import OnrampPlugins
import Testing

/// Plugins as sources and destinations through the engine: selection, incremental state over two runs, the
/// Onramp protocol's per-record outcomes and error records.
@Suite struct PluginPipelineTests {
    @Test func aSingerTapReadsOnlyWhatIsNewOnTheSecondRunAndKeepsOnlySelectedFields() async throws {
        let bench = try await PluginBench(["singer_counter"])
        defer { bench.remove() }
        let (first, out1) = try await bench.run(
            "{connector: singer_counter, config: {stream: items, fields: [id], settings: {count: 25, state_every: 10}}, incremental: {}}",
            batchSize: 7)
        #expect(first.status == .succeeded && first.recordsRead == 25, "\(first.failureReason ?? "")")
        #expect(out1.first == ["id": 1], "an unselected field is left out")
        #expect(bench.checkpoint() == ["bookmarks": ["items": ["id": 25]]])
        let (second, out2) = try await bench.run(
            "{connector: singer_counter, config: {stream: items, fields: [id], settings: {count: 32}}, incremental: {}}")
        #expect(second.recordsRead == 7 && out2.compactMap { $0["id"]?.numberValue } == (26...32).map(Double.init))
        let (full, _) = try await bench.run("{connector: singer_counter, config: {settings: {count: 32}}}", name: "full")
        #expect(full.recordsRead == 32 && bench.checkpoint("full") == nil, "a full load passes no state and commits none")
    }

    @Test func anAirbyteSourceResumesFromItsStreamStateAndDiscoverNamesKeysAndCursor() async throws {
        let bench = try await PluginBench(["airbyte_mock"])
        defer { bench.remove() }
        let spec = try #require(bench.registry.sources["airbyte_mock"])
        #expect(spec.configSchema["properties"]?["settings"]?["properties"]?["api_key"]?["x-secret"] == true,
                "airbyte_secret becomes x-secret, so ${secret:…} may fill it and logs redact it")
        let (first, out1) = try await bench.run(
            "{connector: airbyte_mock, config: {stream: items, settings: {count: 25, api_key: k}}, incremental: {}}")
        #expect(first.status == .succeeded && out1.count == 25, "\(first.failureReason ?? "")")
        let state = try #require(bench.checkpoint()?.arrayValue?.first)
        #expect(state["type"] == "STREAM" && state["stream"]?["stream_state"]?["id"] == 25)
        let (second, out2) = try await bench.run(
            "{connector: airbyte_mock, config: {stream: items, settings: {count: 40, api_key: k}}, incremental: {}}")
        #expect(second.recordsRead == 15 && out2.first?["id"] == 26)
        let source = try bench.registry.makeSource(PipelineSpec.ConnectorRef(
            connector: "airbyte_mock", config: ["settings": ["count": 3]], incremental: nil), resources: ConnectorResources())
        let streams = try await source.discover()
        #expect(streams.map(\.name) == ["items", "other"])
        #expect(streams[0].primaryKey == ["id"] && streams[0].cursorField == ["id"])
        #expect(try await source.check().message.contains("items: 3 records"))
        do {
            _ = try await source.open(checkpoint: nil, batchSize: 10)
            Issue.record("two streams and none chosen")
        } catch let e as OnrampError {
            #expect(e.code == "plugin.stream_required" && e.location == "source.config.stream" && e.message.contains("items, other"))
        }
    }

    /// GLOBAL and legacy STATE messages are checkpoints too: a second run resumes after them. The read's TRACE
    /// estimate gives its batches progress.
    @Test(arguments: ["GLOBAL", "LEGACY"])
    func anAirbyteSourceResumesFromAGlobalOrLegacyStateAndReportsItsEstimate(_ kind: String) async throws {
        let bench = try await PluginBench(["airbyte_mock"])
        defer { bench.remove() }
        let (first, out1) = try await bench.run(
            "{connector: airbyte_mock, config: {stream: items, settings: {count: 25, state_type: \(kind)}}, incremental: {}}")
        #expect(first.status == .succeeded && out1.count == 25, "\(first.failureReason ?? "")")
        let saved = try #require(bench.checkpoint())
        if kind == "GLOBAL" {
            #expect(saved.arrayValue?.first?["type"] == "GLOBAL")
            #expect(saved.arrayValue?.first?["global"]?["stream_states"]?.arrayValue?.first?["stream_state"]?["id"] == 25)
        } else {
            #expect(saved["items"]?["id"] == 25, "\(saved)")
        }
        let (second, out2) = try await bench.run(
            "{connector: airbyte_mock, config: {stream: items, settings: {count: 40, state_type: \(kind)}}, incremental: {}}")
        #expect(second.recordsRead == 15 && out2.first?["id"] == 26, "\(second.failureReason ?? "")")

        let source = try bench.registry.makeSource(PipelineSpec.ConnectorRef(
            connector: "airbyte_mock", config: ["stream": "items", "settings": ["count": 30]], incremental: nil),
            resources: ConnectorResources())
        var reader = try await source.open(checkpoint: nil, batchSize: 10)
        var progress: [ReadProgress] = []
        while let batch = try await reader.next() { if let p = batch.progress { progress.append(p) } }
        await reader.close()
        #expect(progress == [10, 20, 30].map { ReadProgress(done: $0, total: 30) }, "\(progress)")
    }

    @Test func theOnrampProtocolExampleWritesWithPerRecordOutcomesAndReportsBadRows() async throws {
        // One fixed user: the second run's process appends to the file the first one wrote.
        let bench = try await PluginBench(["orders_file"], runAs: getuid() == 0 ? PluginLaunch.RunAs(uid: 65534, gid: 65534) : nil)
        defer { bench.remove() }
        let csv = bench.root.appendingPathComponent("orders.csv").path
        try "id,customer,total\n1,Acme,10.50\n2,Beta\n3,Gamma,7\n".write(toFile: csv, atomically: true, encoding: .utf8)
        chmod(csv, 0o644)
        let sink = bench.root.path + "/written.ndjson"
        let spec = try PipelineLoader.parse("""
        version: 1
        name: roundtrip
        source: {connector: orders_file, config: {settings: {path: "\(csv)"}}}
        destination: {connector: orders_file, config: {settings: {path: "\(sink)", required: [total]}}}
        """)
        let runner = PipelineRunner(spec: spec, registry: bench.registry, resources: ConnectorResources(),
                                    checkpoints: FileCheckpointStore(directory: bench.root.path + "/state"),
                                    outputDirectory: bench.root.path + "/runs/1")
        let summary = await runner.run()
        #expect(summary.recordsRead == 3 && summary.recordsWritten == 2, "\(summary.asValue)")
        let errors = bench.errors(summary)
        #expect(errors.map { $0["code"]?.stringValue ?? "" } == ["orders_file.bad_row"])
        #expect(errors.first?["line"] == 3)
        let written = try String(contentsOfFile: sink, encoding: .utf8).split(separator: "\n")
        #expect(written.count == 2)
        let refusing = try PipelineLoader.parse("""
        version: 1
        name: refusing
        source: {connector: orders_file, config: {settings: {path: "\(csv)"}}}
        steps:
          - set: {total: 'id = 3 ? null : total'}
        destination: {connector: orders_file, config: {settings: {path: "\(sink)", required: [total]}}}
        """)
        let second = await PipelineRunner(spec: refusing, registry: bench.registry, resources: ConnectorResources(),
                                          checkpoints: FileCheckpointStore(directory: bench.root.path + "/state"),
                                          outputDirectory: bench.root.path + "/runs/2").run()
        #expect(second.recordsWritten == 1 && second.failedByStage[.load] == 1, "one refused by the plugin, with its code")
        #expect(bench.errors(second).contains { $0["code"] == "orders_file.missing_field" })
    }
}

/// An Onramp-protocol plugin as a transform step: records made in order with their input's position, errors
/// with the step's name, the plugin's settings validated, its process closed at the end of the run.
@Suite struct PluginTransformTests {
    @Test func aPluginStepTransformsSplitsAndRefusesRecordsInOrder() async throws {
        let bench = try await PluginBench(["singer_garbage", "onramp_upper"])
        defer { bench.remove() }
        #expect(bench.registry.transforms["onramp_upper"] != nil && bench.registry.sources["onramp_upper"] == nil,
                "a transform-only plugin is a step type, not a source")
        let spec = try PipelineLoader.parse("""
        version: 1
        name: upper
        source: {connector: singer_garbage, config: {}}
        steps:
          - set: {name: 'id = 3 ? null : (id = 4 ? name & "|x" : name)'}
          - onramp_upper: {settings: {field: name}}
            name: shout
        destination: {connector: file, config: {path: "\(bench.root.path)/upper.ndjson", format: ndjson}}
        """)
        let summary = await PipelineRunner(spec: spec, registry: bench.registry, resources: ConnectorResources(),
                                           checkpoints: FileCheckpointStore(directory: bench.root.path + "/state"),
                                           outputDirectory: bench.root.path + "/runs/1").run()
        #expect(summary.status == .succeededWithErrors, "\(summary.failureReason ?? "")")
        let out = try String(contentsOfFile: bench.root.path + "/upper.ndjson", encoding: .utf8).split(separator: "\n")
            .map { try JSONParser.parse(String($0)) }
        #expect(out.compactMap { $0["name"]?.stringValue } == ["ITEM 1", "ITEM 2", "ITEM 4", "X", "ITEM 5", "ITEM 7"])
        let refused = bench.errors(summary).filter { $0["stage"] == "transform" }
        #expect(refused.count == 1 && refused.first?["code"] == "onramp_upper.missing" && refused.first?["step"] == "shout")
        #expect(refused.first?["line"] == 6, "the error keeps the input record's position (stdout line 6: record 3)")
        #expect(await PluginFailureTests.orphans(of: "onramp_upper", in: bench) == 0, "the step's process ended with the run")
        let bad = try PipelineLoader.parse("""
        version: 1
        name: bad
        source: {connector: singer_garbage, config: {}}
        steps: [{onramp_upper: {settings: {}}}]
        destination: {connector: file, config: {path: x.ndjson}}
        """)
        do {
            try RunStep.validate(bad.steps[0], registry: bench.registry)
            Issue.record("a missing required setting passed")
        } catch let e as OnrampError { #expect(e.location == "steps[0].onramp_upper.settings.field", "\(e)") }
    }
}

/// A transform plugin that breaks the protocol fails the run: answers out of step, indexes naming no input record,
/// `errors` that is not an array, a failure message of any size (cut to 1 KiB); none loses or invents records silently.
@Suite struct PluginTransformProtocolTests {
    /// An Onramp-protocol step that misbehaves as `mode` says.
    static func hostile() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-hostile-step-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try #"{"name": "hostile", "protocol": "onramp", "command": "hostile.py", "limits": {"idle_seconds": 20}}"#
            .write(to: dir.appendingPathComponent("plugin.json"), atomically: true, encoding: .utf8)
        try """
        #!/usr/bin/env python3
        import json, sys
        def send(m): print(json.dumps(m), flush=True)
        request = json.loads(sys.stdin.readline())
        if request["type"] == "spec":
            send({"type": "spec", "transform": {"config_schema": {"type": "object", "properties": {"mode": {"type": "string"}}}}})
            sys.exit(0)
        mode = request["config"]["mode"]
        if mode == "ahead":
            send({"type": "transformed", "batch": 1, "records": [], "errors": []})
        for line in sys.stdin:
            m = json.loads(line)
            if m["type"] == "close":
                send({"type": "closed"}); sys.exit(0)
            out = [{"index": i, "record": r} for i, r in enumerate(m["records"])]
            if mode == "failure":
                send({"type": "failure", "code": "hostile.down", "message": "x" * 100000}); sys.exit(1)
            errors = {"index": 0} if mode == "errors_object" else [{"index": -1 if mode == "bad_index" else 0, "code": "c"}]
            send({"type": "transformed", "batch": m["batch"], "records": out, "errors": errors})
        """.write(to: dir.appendingPathComponent("hostile.py"), atomically: true, encoding: .utf8)
        chmod(dir.appendingPathComponent("hostile.py").path, 0o755)
        return dir.path
    }

    @Test(arguments: ["ahead", "bad_index", "errors_object", "failure"])
    func aStepThatBreaksTheProtocolFailsTheRun(_ mode: String) async throws {
        let bench = try await PluginBench(["singer_counter"], extra: ["hostile": try Self.hostile()])
        defer { bench.remove() }
        let (summary, _) = try await bench.run("{connector: singer_counter, config: {settings: {count: 30}}}\n"
                                               + "steps: [{hostile: {settings: {mode: \(mode)}}}]", batchSize: 10)
        #expect(summary.status == .failed, "\(mode): \(summary.failureReason ?? "")")
        let reason = summary.failureReason ?? ""
        switch mode {
        case "ahead": #expect(reason.contains("out of step"), "\(reason)")
        case "bad_index": #expect(reason.contains("errors[0].index -1 is not a record of this batch"), "\(reason)")
        case "errors_object": #expect(reason.contains("\"errors\" must be an array"), "\(reason)")
        default: #expect(reason.contains("hostile.down") && reason.count < 2_000, "a plugin's message is cut: \(reason.count)")
        }
        #expect(await PluginFailureTests.orphans(of: "hostile", in: bench) == 0, "\(mode)")
    }
}
