import Foundation
@testable import OnrampConnectorsS3
import OnrampCore
import OnrampStore
@testable import OnrampStoreS3
import Testing

/// The run artifact store on S3, against moto: whole and multipart uploads, replacing, absent objects, the
/// `--artifacts` URL and a bucket that is not there.
@Suite(.enabled(if: MotoS3.available, "needs ONRAMP_TEST_S3 (source scripts/moto-test.sh)"))
struct S3ArtifactStoreTests {
    static func file(_ bytes: Int, seed: UInt8) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("artifact-\(UUID().uuidString)").path
        try Data((0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31) ^ seed }).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func fetched(_ store: S3ArtifactStore, _ name: String) async throws -> Data? {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("got-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard try await store.get(name, to: path) else {
            #expect(!FileManager.default.fileExists(atPath: path))
            return nil
        }
        return FileManager.default.contents(atPath: path)
    }

    @Test func putAndGetWholeAndInParts() async throws {
        let (client, _) = try await MotoS3.bucket("artifacts")
        let store = S3ArtifactStore(client: client, prefix: "onramp/", partSize: 5 << 20)
        try await store.check()
        let small = try Self.file(1000, seed: 1), large = try Self.file(12 << 20, seed: 2)
        defer { for p in [small, large] { try? FileManager.default.removeItem(atPath: p) } }
        try await store.put(artifactName(run: "r1", attempt: 1, key: "results_path"), file: small)
        try await store.put(artifactName(run: "r1", attempt: 1, key: "log_path"), file: large)
        try await store.put(artifactName(run: "r2", attempt: 1, key: "results_path"), file: small)
        #expect(Set(try await client.listAll(prefix: "onramp").map(\.key))
                == ["onramp/runs/r1/1/results.sealed", "onramp/runs/r1/1/log.sealed", "onramp/runs/r2/1/results.sealed"])
        #expect(try await Self.fetched(store, "runs/r1/1/results.sealed") == FileManager.default.contents(atPath: small))
        // 12 MiB in 5 MiB parts: three parts, put back together in order.
        #expect(try await Self.fetched(store, "runs/r1/1/log.sealed") == FileManager.default.contents(atPath: large))
        #expect(try await Self.fetched(store, "runs/r3/1/results.sealed") == nil)
        // A put replaces.
        try await store.put(artifactName(run: "r2", attempt: 1, key: "results_path"), file: large)
        #expect(try await Self.fetched(store, "runs/r2/1/results.sealed")?.count == 12 << 20)
    }

    @Test func theURLAndAMissingBucket() async throws {
        let server = try await MotoS3.server()
        let env = ["AWS_ACCESS_KEY_ID": server.accessKeyId, "AWS_SECRET_ACCESS_KEY": server.secretAccessKey]
        let store = try S3ArtifactStore(url: "s3://no-such-bucket-here/a/b/?endpoint=\(server.endpoint)&region=eu-west-1",
                                        environment: env)
        #expect(store.location == "s3://no-such-bucket-here/a/b/")
        #expect(store.client.region == "eu-west-1")
        await #expect { try await store.check() } throws: { error in
            "\(error)".contains("no-such-bucket-here")
        }
        for (url, named) in [("https://bucket/x", "s3://"), ("s3:///prefix", "s3://"), ("s3://b/p?acl=public", "acl"),
                             ("s3://b/p?region=", "region")] {
            #expect { try S3ArtifactStore(url: url, environment: env) } throws: { error in
                let e = error as? OnrampError
                return e?.code == "config.invalid" && e?.location == "--artifacts" && e!.message.contains(named)
            }
        }
    }
}
