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
        #expect(SchemaDrift.between(before, sometimes, complete: false).isEmpty)
        // While reading, a field every record had that a record lacks is no longer in every record; gone only at the end.
        let idless = Self.schema([["amount": 5]])
        #expect(SchemaDrift.between(before, idless, complete: false).optional == ["id"])
        #expect(SchemaDrift.between(before, idless, complete: false).removed == [])
        #expect(SchemaDrift.between(before, idless, complete: true).removed == ["id", "note"])
        #expect(ObservedSchema(value: before.asValue) == before)
        #expect(ObservedSchema(value: ["records": -1, "fields": []]) == nil)
    }

    /// Records that share one key storage (as a database source's rows do) are counted by position; a record with
    /// other keys, fewer or more, in between is counted by name, and the counts are what counting each name gives.
    @Test func recordsSharingKeysCountAsRecordsWithTheirOwnKeys() {
        let template: Value.Object = ["id": .null, "amount": .null, "note": .null]
        var records: [Value] = []
        for i in 0..<60 {
            var o = template
            o.values[0] = .number(Double(i))
            o.values[1] = i % 3 == 0 ? .null : .string("\(i)")
            o.values[2] = i == 40 ? [1] : i % 5 == 0 ? .bool(true) : .number(1)
            records.append(.object(o))
            if i % 7 == 0 { records.append(["id": "x", "extra": [1]]) }
            if i % 11 == 0 { records.append(["note": "n", "amount": 2, "id": 3]) }
        }
        let s = Self.schema(records)
        #expect(s.records == records.count)
        for name in ["id", "amount", "note", "extra"] {
            let having = records.compactMap { $0.objectValue?[name] }
            #expect(s.fields[name]?.present == having.count, "\(name)")
            #expect(s.fields[name]?.types == Set(having.map(\.typeName)), "\(name)")
        }
        #expect(s.order == ["id", "amount", "note", "extra"])
    }

    final class Export {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-drift-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: dir) }

        func run(_ csv: String, policy: String = "warn", map: String = "{\"id\": id, \"amount\": amount}",
                 batch: Int = 2, baseline: ObservedSchema?) async throws -> RunSummary {
            try csv.write(to: dir.appendingPathComponent("orders.csv"), atomically: true, encoding: .utf8)
            try? FileManager.default.removeItem(at: dir.appendingPathComponent("out.ndjson"))
            let spec = try PipelineLoader.parse("""
                version: 1
                name: drift
                schema_drift: \(policy)
                batch_size: \(batch)
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

    static func rows(_ header: String, _ n: Int, _ row: (Int) -> String) -> String {
        header + "\n" + (1...n).map(row).joined(separator: "\n") + "\n"
    }

    @Test func aFieldTheMappingReadsThatIsGoneFailsAtTheFirstBatch() async throws {
        let e = try Export()
        let map = "{\"id\": id, \"note\": $uppercase(note)}"
        let before = Self.rows("id,amount,note", 30) { "\($0),\($0),n\($0)" }
        let after = Self.rows("id,amount,region", 30) { "\($0),\($0),r" }
        let baseline = try #require(try await e.run(before, map: map, batch: 20, baseline: nil).observedSchema)
        let s = try await e.run(after, map: map, batch: 20, baseline: baseline)
        #expect(s.status == .failed && e.written == 0)
        #expect(s.failureReason?.contains("schema.field_gone") == true)
        #expect(s.failureReason?.contains("note") == true && s.failureReason?.contains("steps[0].map") == true)
        #expect(s.recordsRead == 20, "only the first batch was read")
        // The summary of the stopped run says what drifted.
        #expect(s.schemaDrift?.optional == ["note"] && s.schemaDrift?.added == ["region"])
        // Three records are too few to tell a field that is gone from one that is optional.
        let small = try await e.run(Self.tuesday, map: map, baseline: try await e.run(Self.monday, map: map, baseline: nil).observedSchema)
        #expect(small.status == .succeeded, "\(small.failureReason ?? "")")
    }

    @Test func eachSuccessfulRunThatReadRecordsIsTheNextOnesBaseline() async throws {
        let e = try Export()
        #expect(try await e.run(Self.monday, baseline: nil).schemaDrift == nil)
        let second = try await e.run(Self.tuesday, baseline: nil)
        #expect(second.schemaDrift?.removed == ["note"] && second.schemaDrift?.added == ["region"])
        // Tuesday's shape is the baseline now; a failed run is not.
        #expect(try await e.run(Self.tuesday, baseline: nil).schemaDrift == nil)
        #expect(try await e.run(Self.monday, policy: "fail", baseline: nil).status == .failed)
        #expect(try await e.run(Self.tuesday, baseline: nil).schemaDrift == nil)
    }
}
