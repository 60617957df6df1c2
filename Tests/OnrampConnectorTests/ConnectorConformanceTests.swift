import Foundation
import OnrampConnectorKit
import OnrampCore
import Testing

/// One suite for every connector: its spec drives forms and validation, so it must be a schema whose
/// examples and defaults validate; a bad config names its field; reads resume from any checkpoint
/// without skipping or repeating a record; a cancelled read stops.
@Suite struct ConnectorConformanceTests {
    static let names = TestRegistry.all.catalog.compactMap { $0["name"]?.stringValue }

    static func schema(_ name: String) -> (side: String, schema: Value) {
        if let s = TestRegistry.all.sources[name] { return ("source", s.configSchema) }
        return ("destination", TestRegistry.all.destinations[name]!.configSchema)
    }

    @Test(arguments: names) func specIsAFormSchemaWhoseExamplesAndDefaultsValidate(_ name: String) throws {
        let (side, schema) = Self.schema(name)
        #expect(schema["type"] == "object")
        #expect(schema["additionalProperties"] == .bool(false), "\(name): unknown keys must be errors")
        let properties = try #require(schema["properties"]?.objectValue, "\(name) has no properties")
        for key in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            #expect(properties[key] != nil, "\(name): required \(key) is not a property")
        }
        for (key, property) in properties {
            #expect(property["type"] != nil, "\(name).\(key) has no type")
            #expect(property["title"] != nil || property["description"] != nil, "\(name).\(key) has neither title nor description")
            let secretish = ["password", "secret", "api_key", "token", "client_secret", "secret_access_key"]
            if secretish.contains(where: { key.hasSuffix($0) }) && property["type"] == "string" {
                #expect(property["x-secret"] == .bool(true), "\(name).\(key) looks secret but is not marked x-secret")
            }
            for example in property["examples"]?.arrayValue ?? [] {
                #expect(throws: Never.self, "\(name).\(key) example \(example)") {
                    try JSONSchema.validate(example, against: property, at: "\(side).config.\(key)")
                }
            }
            if let d = property["default"] {
                #expect(throws: Never.self, "\(name).\(key) default") { try JSONSchema.validate(d, against: property, at: key) }
            }
        }
    }

    @Test(arguments: names) func anUnknownKeyIsAnErrorNamingIt(_ name: String) throws {
        let (side, _) = Self.schema(name)
        let ref = PipelineSpec.ConnectorRef(connector: name, config: ["no_such_option": 1], incremental: nil)
        do {
            if side == "source" { _ = try TestRegistry.all.makeSource(ref, resources: ConnectorResources()) } else {
                _ = try TestRegistry.all.makeDestination(ref, resources: ConnectorResources())
            }
            Issue.record("\(name) accepted an unknown key")
        } catch let e as OnrampError {
            #expect(e.location == "\(side).config.no_such_option" || e.code == "config.missing", "\(name): \(e)")
        }
    }

    static let fixtures = Fixtures.sources.map(\.connector)

    static func fixture(_ name: String) -> any ConformanceFixture { Fixtures.sources.first { $0.connector == name }! }

    static func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-conformance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Reads everything from `checkpoint`: each batch's ids and the checkpoint it carried.
    static func read(_ source: any Source, from checkpoint: Value?, batchSize: Int) async throws -> [(ids: [String], checkpoint: Value?)] {
        var reader = try await source.open(checkpoint: checkpoint, batchSize: batchSize)
        var out: [(ids: [String], checkpoint: Value?)] = []
        while let batch = try await reader.next() {
            #expect(batch.errors.isEmpty, "\(batch.errors)")
            out.append((batch.allRecords().map { $0.value["id"]?.scalarText ?? "?" }, batch.checkpoint))
        }
        await reader.close()
        return out
    }

    @Test(arguments: fixtures) func aReadResumedFromAnyCheckpointNeitherSkipsNorRepeats(_ name: String) async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = 95
        let (config, incremental) = try await Self.fixture(name).seed(rows: rows, in: dir)
        let source = try TestRegistry.all.makeSource(PipelineSpec.ConnectorRef(connector: name, config: config, incremental: incremental),
                                                     resources: ConnectorResources())
        let full = try await Self.read(source, from: nil, batchSize: 7)
        let all = full.flatMap(\.ids)
        #expect(all == (1...rows).map(String.init), "\(name): a full read gives every row once, in order")
        let checkpoints = full.enumerated().filter { $0.element.checkpoint != nil }
        #expect(checkpoints.count >= 3, "\(name) carries checkpoints as it reads")
        for (i, batch) in checkpoints {
            // A run that stopped right after committing this checkpoint: the next run reads the rest, exactly.
            let delivered = full[...i].flatMap(\.ids)
            let resumed = try await Self.read(source, from: batch.checkpoint, batchSize: 7).flatMap(\.ids)
            #expect(delivered + resumed == all, "\(name): resumed after batch \(i)")
        }
        let last = try #require(checkpoints.last?.element.checkpoint)
        #expect(try await Self.read(source, from: last, batchSize: 7).flatMap(\.ids).isEmpty, "\(name): nothing new, nothing read")
    }

    @Test(arguments: fixtures) func checkFailsClearlyOnWhatDoesNotExist(_ name: String) async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ref = PipelineSpec.ConnectorRef(connector: name, config: Self.fixture(name).missing(in: dir), incremental: nil)
        do {
            let check = try await TestRegistry.all.check(ref, side: .source, resources: ConnectorResources())
            Issue.record("\(name) passed its check on a missing target: \(check.message)")
        } catch let e as OnrampError {
            #expect(e.location?.hasPrefix("source.config") == true, "\(name): \(e)")
            #expect(!e.message.isEmpty)
        }
    }

    /// On what exists, check passes with a message and discover offers the stream the fixture read, with its fields.
    @Test(arguments: fixtures) func checkPassesAndDiscoverOffersTheStreamWithItsFields(_ name: String) async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (config, _) = try await Self.fixture(name).seed(rows: 10, in: dir)
        let ref = PipelineSpec.ConnectorRef(connector: name, config: config, incremental: nil)
        let check = try await TestRegistry.all.check(ref, side: .source, resources: ConnectorResources())
        #expect(!check.message.isEmpty, "\(name)")
        let streams = try await TestRegistry.all.discover(ref, resources: ConnectorResources())
        #expect(!streams.isEmpty && streams.allSatisfy { !$0.name.isEmpty }, "\(name): \(streams)")
        #expect(streams.contains { $0.fields.contains { $0.name == "id" } }, "\(name): no stream has the id field: \(streams)")
    }

    @Test(arguments: fixtures) func aCancelledReadStops(_ name: String) async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (config, _) = try await Self.fixture(name).seed(rows: 50, in: dir)
        let source = try TestRegistry.all.makeSource(PipelineSpec.ConnectorRef(connector: name, config: config, incremental: nil),
                                                     resources: ConnectorResources())
        let task = Task {
            var reader = try await source.open(checkpoint: nil, batchSize: 5)
            _ = try await reader.next()
            withUnsafeCurrentTask { $0?.cancel() }
            do {
                let batch = try await reader.next()
                await reader.close()
                return batch == nil
            } catch is CancellationError {
                await reader.close()
                return true
            }
        }
        #expect(try await task.value, "\(name) went on reading after its task was cancelled")
    }
}
