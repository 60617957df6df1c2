import Foundation
import OnrampConnectorKit
@testable import OnrampConnectorsS3
import OnrampCore
import Testing

/// The `s3` source against moto's S3 server (signatures checked by moto).
@Suite(.enabled(if: MotoS3.available, "needs ONRAMP_TEST_S3 (source scripts/moto-test.sh)"))
struct S3SourceTests {
    static func csv(_ rows: [String]) -> [UInt8] { Array(("id,amount\n" + rows.joined(separator: "\n") + "\n").utf8) }

    @Test func listsAcrossPagesAndFiltersByGlob() async throws {
        let (client, server) = try await MotoS3.bucket("pages")
        for i in 0..<23 { try await client.put("exports/o-\(i < 10 ? "0" : "")\(i).csv", body: Self.csv(["K\(i),\(i).50"])) }
        try await client.put("exports/readme.txt", body: Array("not csv".utf8))
        try await client.put("exports/2026/deep.csv", body: Self.csv(["D,1"]))
        try await client.put("other/o-99.csv", body: Self.csv(["X,1"]))
        // 7 keys a page: 25 keys under exports take 4 pages.
        let page = try await client.list(prefix: "exports", continuationToken: nil, maxKeys: 7)
        #expect(page.objects.count == 7 && page.nextToken != nil)
        let config = MotoS3.config(client, server, ["prefix": "exports", "glob": "exports/*.csv", "format": "csv",
                                                    "max_keys": 7])
        let (records, errors, _) = try await MotoS3.read(config)
        #expect(errors.isEmpty)
        #expect(records.map { $0.value["id"]?.stringValue ?? "" } == (0..<23).map { "K\($0)" })
        #expect(records[3].position.file == "s3://\(client.bucket)/exports/o-03.csv")
        #expect(records[3].position.line == 2)
        #expect(records[3].value["amount"]?.stringValue == "3.50")
        // A glob reaches into one folder.
        let deep = try await MotoS3.read(MotoS3.config(client, server, ["prefix": "exports", "glob": "exports/2026/*",
                                                                        "format": "csv"]))
        #expect(deep.records.map { $0.value["id"]?.stringValue } == ["D"])
    }

    @Test func incrementalReadsNewAndChangedObjectsOnce() async throws {
        let (client, server) = try await MotoS3.bucket("incr")
        for i in 1...3 { try await client.put("in/\(i).ndjson", body: Array("{\"n\":\(i)}\n{\"n\":\(i * 10)}\n".utf8)) }
        let config = MotoS3.config(client, server, ["prefix": "in", "format": "ndjson"])
        let first = try await MotoS3.read(config, incremental: true, batchSize: 1)
        #expect(first.records.compactMap { $0.value["n"]?.numberValue } == [1, 10, 2, 20, 3, 30])
        #expect(first.checkpoint?["objects"]?.objectValue?.count == 3)
        try await client.put("in/2.ndjson", body: Array("{\"n\":200}\n".utf8))
        try await client.put("in/4.ndjson", body: Array("{\"n\":4}\n".utf8))
        let second = try await MotoS3.read(config, incremental: true, checkpoint: first.checkpoint)
        #expect(second.records.compactMap { $0.value["n"]?.numberValue } == [200, 4])
        let third = try await MotoS3.read(config, incremental: true, checkpoint: second.checkpoint)
        #expect(third.records.isEmpty)
        #expect(third.checkpoint?["objects"]?.objectValue?.count == 4)
        // A deleted object drops out of the checkpoint.
        try await client.delete("in/1.ndjson")
        let fourth = try await MotoS3.read(config, incremental: true, checkpoint: third.checkpoint)
        #expect(fourth.records.isEmpty)
        #expect(fourth.checkpoint?["objects"]?.objectValue?.keys.sorted() == ["in/2.ndjson", "in/3.ndjson", "in/4.ndjson"])
    }

    @Test func aBadRowIsAnErrorRecordAndTheRestIsRead() async throws {
        let (client, server) = try await MotoS3.bucket("rows")
        try await client.put("a.csv", body: Array("id;amount\nA;1,5\nB\nC;2\n".utf8))
        let (records, errors, _) = try await MotoS3.read(MotoS3.config(client, server, ["format": "csv", "delimiter": ";"]))
        #expect(records.map { $0.value["id"]?.stringValue } == ["A", "C"])
        #expect(errors.map(\.code) == ["csv.field_count"])
        #expect(errors.first?.position.description == "s3://\(client.bucket)/a.csv:3")
    }

    @Test func theScratchFolderGoesAwayOnClose() async throws {
        let (client, server) = try await MotoS3.bucket("scratch")
        for i in 1...2 { try await client.put("s\(i).ndjson", body: Array("{\"n\":1}\n{\"n\":2}\n".utf8)) }
        let source = try MotoS3.registry().makeSource(
            .init(connector: "s3", config: MotoS3.config(client, server, ["format": "ndjson"]), incremental: nil),
            resources: ConnectorResources())
        var reader = try await source.open(checkpoint: nil, batchSize: 1)
        _ = try await reader.next()
        let scratch = try #require((reader as? S3Reader)?.scratch)
        #expect(FileManager.default.fileExists(atPath: scratch))
        await reader.close()
        #expect(!FileManager.default.fileExists(atPath: scratch))
    }

    @Test func checkSaysWhatIsWrong() async throws {
        let (client, server) = try await MotoS3.bucket("check")
        try await client.put("exports/a.csv", body: Self.csv(["A,1"]))
        let registry = MotoS3.registry()
        func check(_ config: Value) async throws -> ConnectorCheck {
            try await registry.makeSource(.init(connector: "s3", config: config, incremental: nil),
                                          resources: ConnectorResources()).check()
        }
        let good = try await check(MotoS3.config(client, server, ["prefix": "exports", "format": "csv"]))
        #expect(good.message == "bucket \(client.bucket) reachable; 1 object match s3://\(client.bucket)/exports")

        var wrongSecret = MotoS3.config(client, server, ["prefix": "exports", "format": "csv"])
        wrongSecret = wrongSecret.merging(["secret_access_key": "not-the-secret"])
        let denied = await #expect(throws: OnrampError.self) { try await check(wrongSecret) }
        #expect(denied?.code == "s3.access_denied")
        #expect(denied?.message.hasPrefix("access denied to s3://\(client.bucket)/exports:") == true)
        #expect(denied?.message.hasSuffix("check the key") == true)
        #expect(denied?.location == "source.config.secret_access_key")

        let unknownKey = MotoS3.config(client, server, ["format": "csv"]).merging(["access_key_id": "AKIANOTKNOWN"])
        let unknown = await #expect(throws: OnrampError.self) { try await check(unknownKey) }
        #expect(unknown?.code == "s3.access_denied")
        #expect(unknown?.location == "source.config.access_key_id")

        let missing = MotoS3.config(client, server, ["format": "csv"]).merging(["bucket": "no-such-bucket-here"])
        let notFound = await #expect(throws: OnrampError.self) { try await check(missing) }
        #expect(notFound?.message == "bucket no-such-bucket-here not found")
        #expect(notFound?.location == "source.config.bucket")

        let closed = MotoS3.config(client, server, ["format": "csv"]).merging(["endpoint": "http://127.0.0.1:9"])
        let unreachable = await #expect(throws: OnrampError.self) { try await check(closed) }
        #expect(unreachable?.message.hasPrefix("cannot connect to http://127.0.0.1:9") == true)
    }

    @Test func afterReadMovesAndTagsObjects() async throws {
        let (client, server) = try await MotoS3.bucket("after")
        try await client.put("inbox/a.csv", body: Self.csv(["A,1"]))
        try await client.put("inbox/sub/b.csv", body: Self.csv(["B,2"]))
        let config = MotoS3.config(client, server, ["prefix": "inbox", "format": "csv",
                                                    "after_read": ["move_to_prefix": "done/", "tag": ["onramp": "read"]]])
        let (records, _, _) = try await MotoS3.read(config)
        #expect(records.count == 2)
        let keys = try await client.listAll(prefix: "").map(\.key)
        #expect(keys == ["done/a.csv", "done/sub/b.csv"])
        let tags = try await client.tags("done/sub/b.csv")
        #expect(tags.map { "\($0.0)=\($0.1)" } == ["onramp=read"])
        let second = await #expect(throws: OnrampError.self) { try await MotoS3.read(config) }
        #expect(second?.code == "source.not_found")
    }
}

extension Value {
    func merging(_ extra: Value.Object) -> Value {
        var o = objectValue ?? [:]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }
}
