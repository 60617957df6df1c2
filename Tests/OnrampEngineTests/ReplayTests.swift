import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampEngine
import Testing

/// A run over given failed records instead of its source, and the source record a later step's error keeps.
@Suite struct ReplayTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-replay-\(UUID().uuidString)")

    func runner(_ lazy: Bool = true) throws -> PipelineRunner {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "id,amount\n1,2\n2,x\n3,4\n".write(to: dir.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
        let spec = try PipelineLoader.parse("""
        version: 1
        name: replay
        source: { connector: csv, config: { path: "\(dir.path)/in.csv" }, incremental: { mode: new_files } }
        steps:
          - rename: { amount: total }
          - map: '{"id": id, "total": $number(total), "step": "mapped"}'
        destination: { connector: file, config: { path: "\(dir.path)/out.ndjson" } }
        """)
        var registry = ConnectorRegistry()
        FileConnectors.register(into: &registry)
        var runner = PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                                    checkpoints: FileCheckpointStore(directory: dir.path + "/state"), outputDirectory: dir.path)
        runner.lazyTables = lazy
        return runner
    }

    func lines(_ name: String) throws -> [Value] {
        try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    @Test(arguments: [true, false])
    func anErrorAfterTheFirstStepKeepsItsSourceRecordInTheNDJSONReport(_ lazy: Bool) async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let summary = try await runner(lazy).run()
        #expect(summary.recordsFailed == 1)
        let errors = try lines("replay-errors.ndjson")
        #expect(errors.count == 1 && errors[0]["value"] == ["id": "2", "total": "x"] && errors[0]["source"] == ["id": "2", "amount": "x"],
                "\(errors)")
        let csv = try String(contentsOf: dir.appendingPathComponent("replay-errors.csv"), encoding: .utf8)
        #expect(!csv.contains("source"))
    }

    @Test func aRecordThatFailedAfterAGroupIsReplayedAtTheStepItFailedAt() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "order,amount\n1,2\n1,x\n2,4\n".write(to: dir.appendingPathComponent("lines.csv"), atomically: true, encoding: .utf8)
        let spec = try PipelineLoader.parse("""
        version: 1
        name: grouped
        source: { connector: csv, config: { path: "\(dir.path)/lines.csv" } }
        steps:
          - group: { by: order, into: lines }
          - map: '{"order": order, "total": $sum(lines.$number(amount))}'
        destination: { connector: file, config: { path: "\(dir.path)/out.ndjson" } }
        """)
        var registry = ConnectorRegistry()
        FileConnectors.register(into: &registry)
        let make = {
            PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                           checkpoints: FileCheckpointStore(directory: self.dir.path + "/state"), outputDirectory: self.dir.path)
        }
        _ = await make().run()
        // The source record of a grouped order is not one row: the error names the step to re-enter at instead.
        let errors = try lines("grouped-errors.ndjson")
        #expect(errors.count == 1 && errors[0]["reentry_step"] == 1 && errors[0]["source"] == nil
                && errors[0]["value"]?["lines"]?.arrayValue?.count == 2, "\(errors)")
        var replay = make()
        let fixed = #"{"order": "1", "lines": [{"order": "1", "amount": "2"}, {"order": "1", "amount": "3"}]}"#
        replay.replay = [ReplayRecord(stage: .transform, value: fixed, position: SourcePosition(file: "lines.csv", line: 2), step: 1),
                         ReplayRecord(stage: .transform, value: #"{"as": "is"}"#, position: SourcePosition(line: 9), step: 2)]
        let summary = await replay.run()
        #expect(summary.status == .succeeded && summary.recordsWritten == 2, "\(summary)")
        // The group step did not run again on the grouped order; a step past the last goes straight to the destination.
        #expect(try lines("out.ndjson").suffix(2) == [["order": "1", "total": 5], ["as": "is"]])
    }

    @Test func aReplayReadsOnlyItsRecordsEachFromTheStageItFailedAtAndKeepsTheirPositions() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        var r = try runner()
        r.replay = [
            ReplayRecord(stage: .transform, value: #"{"id": "2", "amount": "2.5"}"#, position: SourcePosition(file: "in.csv", line: 3)),
            ReplayRecord(stage: .transform, value: #"{"id": "7", "amount": "bad"}"#, position: SourcePosition(file: "in.csv", line: 9)),
            ReplayRecord(stage: .load, value: #"{"id": "5", "total": 1, "step": "edited"}"#, position: SourcePosition(file: "in.csv", line: 6)),
        ]
        let summary = await r.run()
        #expect(summary.status == .succeededWithErrors && summary.recordsRead == 3 && summary.recordsWritten == 2, "\(summary)")
        // The load record went straight to the destination (no step ran on it); the source's rows were not read.
        let out = try lines("out.ndjson")
        #expect(out == [["id": "5", "total": 1, "step": "edited"], ["id": "2", "total": 2.5, "step": "mapped"]], "\(out)")
        let errors = try lines("replay-errors.ndjson")
        #expect(errors.count == 1 && errors[0]["file"] == "in.csv" && errors[0]["line"] == 9 && errors[0]["code"] == "expr.D3030")
        // No checkpoint: the next normal run still reads the whole file.
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/state"))
        let normal = try await runner().run()
        #expect(normal.recordsRead == 3)
    }
}
