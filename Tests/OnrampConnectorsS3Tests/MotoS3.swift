import AsyncHTTPClient
import Foundation
import NIOCore
import OnrampConnectorKit
@testable import OnrampConnectorsS3
import OnrampCore

/// moto's S3 server for the tests: `ONRAMP_TEST_S3` (scripts/moto-test.sh, which scripts/test.sh sources,
/// starts it and creates an IAM user with a key: `ONRAMP_TEST_S3_KEY_ID`, `ONRAMP_TEST_S3_SECRET`), so every
/// request here is signature-checked by moto.
/// moto checks against the decoded query, so a `/` in a query value fails there (boto3's requests too):
/// the tests list with prefixes that have none (keys may have any).
enum MotoS3 {
    struct Server: Sendable {
        var endpoint: String
        var accessKeyId: String
        var secretAccessKey: String
    }

    static let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)

    /// Whether the S3 tests can run here (`source scripts/moto-test.sh` before `swift test` sets it).
    static let available = ProcessInfo.processInfo.environment["ONRAMP_TEST_S3"] != nil

    static func server() async throws -> Server {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["ONRAMP_TEST_S3"], let id = env["ONRAMP_TEST_S3_KEY_ID"], !id.isEmpty,
              let secret = env["ONRAMP_TEST_S3_SECRET"] else {
            throw OnrampError("test.moto", "source scripts/moto-test.sh: ONRAMP_TEST_S3, _KEY_ID and _SECRET are not all set")
        }
        return Server(endpoint: endpoint, accessKeyId: id, secretAccessKey: secret)
    }

    /// A client for a new, empty bucket (a fresh name per test).
    static func bucket(_ label: String) async throws -> (S3Client, Server) {
        let server = try await server()
        let name = "\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        let client = try S3Client(
            bucket: name, region: "us-east-1", endpoint: server.endpoint, pathStyle: true,
            credentials: CredentialProvider(.fixed(AWSCredentials(accessKeyId: server.accessKeyId,
                                                                  secretAccessKey: server.secretAccessKey)), http: http),
            http: http, egress: .unrestricted, field: "source.config")
        try await client.createBucket()
        return (client, server)
    }

    /// A source or destination config for `client`'s bucket with the server's key, plus `extra`.
    static func config(_ client: S3Client, _ server: Server, _ extra: Value.Object) -> Value {
        var o: Value.Object = ["bucket": .string(client.bucket), "endpoint": .string(server.endpoint),
                               "access_key_id": .string(server.accessKeyId),
                               "secret_access_key": .string(server.secretAccessKey)]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    static func registry() -> ConnectorRegistry {
        var r = ConnectorRegistry()
        S3Connectors.register(into: &r)
        return r
    }

    /// Reads every batch of a source built from `config`: the records, errors and last checkpoint.
    static func read(_ config: Value, incremental: Bool = false, checkpoint: Value? = nil, batchSize: Int = 100)
        async throws -> (records: [Record], errors: [RecordError], checkpoint: Value?) {
        let source = try registry().makeSource(
            PipelineSpec.ConnectorRef(connector: "s3", config: config,
                                      incremental: incremental ? ["mode": "new_objects"] : nil),
            resources: ConnectorResources(egress: .unrestricted))
        var reader = try await source.open(checkpoint: checkpoint, batchSize: batchSize)
        var records: [Record] = [], errors: [RecordError] = [], last = checkpoint
        do {
            while let batch = try await reader.next() {
                records += batch.allRecords()
                errors += batch.errors
                if let c = batch.checkpoint { last = c }
            }
        } catch {
            await reader.close()
            throw error
        }
        await reader.close()
        return (records, errors, last)
    }
}
