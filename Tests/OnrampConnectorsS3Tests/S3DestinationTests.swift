import Foundation
import OnrampConnectorKit
@testable import OnrampConnectorsS3
import OnrampCore
import Testing

/// The `s3` destination against moto: objects per batch or per run, CSV headers, multipart uploads.
@Suite(.enabled(if: MotoS3.available, "needs ONRAMP_TEST_S3 (source scripts/moto-test.sh)"))
struct S3DestinationTests {
    static func destination(_ client: S3Client, _ server: MotoS3.Server, _ extra: Value.Object) throws -> any Destination {
        try MotoS3.registry().makeDestination(.init(connector: "s3", config: MotoS3.config(client, server, extra),
                                                    incremental: nil), resources: ConnectorResources())
    }

    static func records(_ range: ClosedRange<Int>) -> [Record] {
        range.map { Record(["n": .number(Double($0)), "name": .string("order \($0), \"quoted\"")]) }
    }

    @Test func eachBatchIsAnObjectBeforeItIsAcknowledged() async throws {
        let (client, server) = try await MotoS3.bucket("dest")
        let destination = try Self.destination(client, server, ["prefix": "out/"])
        #expect(try await client.listAll(prefix: "").isEmpty)
        let outcomes = try await destination.write(Self.records(1...3))
        #expect(outcomes.count == 3)
        #expect(try await client.listAll(prefix: "out").count == 1)
        _ = try await destination.write(Self.records(4...5))
        try await destination.close()
        let keys = try await client.listAll(prefix: "out").map(\.key)
        #expect(keys.count == 2)
        #expect(keys.allSatisfy { $0.hasPrefix("out/") && $0.hasSuffix(".ndjson") })
        #expect(keys[0].hasSuffix("-00001.ndjson") && keys[1].hasSuffix("-00002.ndjson"))
        let back = try await MotoS3.read(MotoS3.config(client, server, ["prefix": "out", "format": "ndjson"]))
        #expect(back.records.compactMap { $0.value["n"]?.numberValue } == [1, 2, 3, 4, 5])
        #expect(back.records[4].value["name"]?.stringValue == "order 5, \"quoted\"")
    }

    @Test func csvObjectsRollOverAfterMaxRecordsEachWithAHeader() async throws {
        let (client, server) = try await MotoS3.bucket("csv")
        let destination = try Self.destination(client, server, ["prefix": "csv/", "format": "csv", "objects": "per_run",
                                                                "max_records_per_object": 2])
        _ = try await destination.write(Self.records(1...3))
        _ = try await destination.write(Self.records(4...5))
        #expect(try await client.listAll(prefix: "csv").count == 2)
        try await destination.close()
        let keys = try await client.listAll(prefix: "csv").map(\.key)
        #expect(keys.count == 3)
        let back = try await MotoS3.read(MotoS3.config(client, server, ["prefix": "csv", "format": "csv"]))
        #expect(back.records.map { $0.value["n"]?.stringValue } == ["1", "2", "3", "4", "5"])
        #expect(back.records.map { $0.position.line } == [2, 3, 2, 3, 2])
        #expect(back.records[0].value["name"]?.stringValue == "order 1, \"quoted\"")
    }

    @Test func aBigObjectGoesUpInParts() async throws {
        let (client, server) = try await MotoS3.bucket("multi")
        let destination = try Self.destination(client, server, ["prefix": "big/", "objects": "per_run", "part_size_mb": 5])
        let pad = String(repeating: "x", count: 100)
        for chunk in 0..<7 {
            let batch = (0..<10_000).map { Record(["n": .number(Double(chunk * 10_000 + $0)), "pad": .string(pad)]) }
            _ = try await destination.write(batch)
        }
        #expect(try await client.listAll(prefix: "big").isEmpty)
        try await destination.close()
        let objects = try await client.listAll(prefix: "big")
        #expect(objects.count == 1)
        #expect(objects[0].size > 5 << 20)
        #expect(objects[0].etag.hasSuffix("-2"))
        let back = try await MotoS3.read(MotoS3.config(client, server, ["prefix": "big", "format": "ndjson"]),
                                         batchSize: 10_000)
        #expect(back.records.count == 70_000)
        #expect(back.records.last?.value["n"]?.numberValue == 69_999)
    }
}
