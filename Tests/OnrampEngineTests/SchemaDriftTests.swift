import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampEngine
import Testing

/// Schema drift: each run records its source's fields; a CSV export that gains and loses a column between runs is
/// said (warn), stops the run before anything is sent (fail), or is not compared (ignore); a field the mapping
/// reads that is gone fails the run at the first batch with the field named.
@Suite struct SchemaDriftTests {
    static func schema(_ records: [Value]) -> ObservedSchema {
        var s = ObservedSchema()
        for r in records { s.observe(r) }
        return s
    }

    @Test func driftNamesAddedRemovedAndRetypedFields() {
        let before = Self.schema([["id": 1, "amount": 2, "note": "x"], ["id": 2, "amount": .null]])
        let after = Self.schema([["id": "1", "amount": 3, "extra": true], ["id": "2", "amount": 4]])
        let d = SchemaDrift.between(before, after, complete: true)
        #expect(d.added == ["extra"] && d.removed == ["note"])
        #expect(d.changed == [SchemaDrift.TypeChange(field: "id", was: ["number"], now: ["string"])])
        #expect(d.description.contains("appeared: extra") && d.description.contains("id (number → string)"))
        // A null where a number was is no change; while reading, only a field every record had counts as gone.
        let nulls = Self.schema([["id": 1, "amount": .null, "note": "y"]])
        #expect(SchemaDrift.between(before, nulls, complete: true).isEmpty)
        let sometimes = Self.schema([["id": 1, "amount": 5]])
        #expect(SchemaDrift.between(before, sometimes, complete: false).removed == [])
        #expect(SchemaDrift.between(before, Self.schema([["amount": 5]]), complete: false).removed == ["id"])
        #expect(ObservedSchema(value: before.asValue) == before)
        #expect(ObservedSchema(value: ["records": -1, "fields": []]) == nil)
    }

    final class Export {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-drift-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: dir) }

        func run(_ csv: String, policy: String = "warn", map: String = "{\"id\": id, \"amount\": amount}",
                 baseline: ObservedSchema?) async throws -> RunSummary {
            try csv.write(to: dir.appendingPathComponent("orders.csv"), atomically: true, encoding: .utf8)
            try? FileManager.default.removeItem(at: dir.appendingPathComponent("out.ndjson"))
            let spec = try PipelineLoader.parse("""
                version: 1
                name: drift
                schema_drift: \(policy)
                batch_size: 2
                source: {connector: csv, config: {path: orders.csv}}
                steps:
                  - map: '\(map)'
                destination: {connector: file, config: {path: out.ndjson}}
                """)
            var registry = ConnectorRegistry()
            FileConnectors.register(into: &registry)
            var runner = PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(files: .local(dir.path)),
                                        checkpoints: FileCheckpointStore(directory: dir.path + "/state"), outputDirectory: dir.path)
            runner.schemaBaseline = baseline
            return await runner.run()
        }

        var written: Int {
            ((try? String(contentsOf: dir.appendingPathComponent("out.ndjson"), encoding: .utf8)) ?? "")
                .split(separator: "\n").count
        }
    }

    static let monday = "id,amount,note\n1,10,a\n2,20,b\n3,30,c\n"
    static let tuesday = "id,amount,region\n4,40,x\n5,50,y\n6,60,z\n"

    @Test func aColumnThatComesAndGoesIsSaidInTheSummary() async throws {
        let e = try Export()
        let first = try await e.run(Self.monday, baseline: nil)
        #expect(first.status == .succeeded && first.schemaDrift == nil)
        let baseline = try #require(first.observedSchema)
        #expect(baseline.order == ["id", "amount", "note"] && baseline.records == 3)
        let second = try await e.run(Self.tuesday, baseline: baseline)
        #expect(second.status == .succeeded && e.written == 3)
        #expect(second.schemaDrift?.added == ["region"] && second.schemaDrift?.removed == ["note"])
        #expect(second.asValue["schema_drift"]?["removed"] == ["note"])
        let same = try await e.run(Self.monday, baseline: baseline)
        #expect(same.schemaDrift == nil)
    }

    @Test func underFailTheRunStopsBeforeAnythingIsSent() async throws {
        let e = try Export()
        let baseline = try #require(try await e.run(Self.monday, baseline: nil).observedSchema)
        let s = try await e.run(Self.tuesday, policy: "fail", baseline: baseline)
        #expect(s.status == .failed && e.written == 0)
        #expect(s.failureReason?.contains("schema.drift") == true && s.failureReason?.contains("note") == true)
        let ignored = try await e.run(Self.tuesday, policy: "ignore", baseline: baseline)
        #expect(ignored.status == .succeeded && ignored.schemaDrift == nil)
    }

    @Test func aFieldTheMappingReadsThatIsGoneFailsAtTheFirstBatch() async throws {
        let e = try Export()
        let map = "{\"id\": id, \"note\": $uppercase(note)}"
        let baseline = try #require(try await e.run(Self.monday, map: map, baseline: nil).observedSchema)
        let s = try await e.run(Self.tuesday, map: map, baseline: baseline)
        #expect(s.status == .failed && e.written == 0)
        #expect(s.failureReason?.contains("schema.field_gone") == true)
        #expect(s.failureReason?.contains("note") == true && s.failureReason?.contains("steps[0].map") == true)
        #expect(s.recordsRead == 2, "only the first batch was read")
    }

    @Test func theCLIBaselineFileKeepsTheLastSchemaThatReadRecords() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-baseline-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = SchemaBaselineFile(directory: dir.path, pipeline: "p")
        #expect(file.load() == nil)
        let s = Self.schema([["a": 1]])
        file.store(s)
        file.store(ObservedSchema())
        #expect(file.load() == s)
    }
}
