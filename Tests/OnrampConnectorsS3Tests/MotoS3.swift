import AsyncHTTPClient
import Foundation
import NIOCore
import OnrampConnectorKit
@testable import OnrampConnectorsS3
import OnrampCore

/// moto's S3 server for the tests: `ONRAMP_TEST_S3` (scripts/moto-test.sh, which scripts/test.sh sources,
/// starts it with `INITIAL_NO_AUTH_ACTION_COUNT=3`). The first three requests create an IAM user with an
/// access key, so every later request is signature-checked by moto.
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

    static let shared = Task<Server, any Error> {
        try await createUser(ProcessInfo.processInfo.environment["ONRAMP_TEST_S3"] ?? "")
    }

    static func server() async throws -> Server { try await shared.value }

    /// CreateUser, PutUserPolicy (everything allowed), CreateAccessKey: moto's unauthenticated three.
    static func createUser(_ endpoint: String) async throws -> Server {
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        _ = try await iam(endpoint, ["Action": "CreateUser", "UserName": "onramp"])
        _ = try await iam(endpoint, ["Action": "PutUserPolicy", "UserName": "onramp", "PolicyName": "all",
                                     "PolicyDocument": policy])
        let answer = try await iam(endpoint, ["Action": "CreateAccessKey", "UserName": "onramp"])
        guard let id = S3XML.text("AccessKeyId", in: answer), let secret = S3XML.text("SecretAccessKey", in: answer) else {
            throw OnrampError("test.moto", "no access key from moto: \(answer)")
        }
        return Server(endpoint: endpoint, accessKeyId: id, secretAccessKey: secret)
    }

    static func iam(_ endpoint: String, _ form: [String: String]) async throws -> String {
        var fields = form
        fields["Version"] = "2010-05-08"
        let body = fields.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(SigV4.encode($0.value, keepSlash: false))" }.joined(separator: "&")
        let host = String(endpoint.dropFirst("http://".count))
        let now = Date()
        let headers = [("host", host), ("x-amz-date", SigV4.timestamp(now)),
                       ("content-type", "application/x-www-form-urlencoded")]
        let hash = SigV4.hash(Array(body.utf8))
        let auth = SigV4(credentials: AWSCredentials(accessKeyId: "setup", secretAccessKey: "setup"), region: "us-east-1",
                         service: "iam").authorization(method: "POST", path: "/", query: [], headers: headers,
                                                       payloadHash: hash, date: now)
        var request = HTTPClientRequest(url: endpoint + "/")
        request.method = .POST
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        request.headers.add(name: "Authorization", value: auth)
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await http.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status.code == 200 else { throw OnrampError("test.moto", "IAM \(form["Action"]!): \(text)") }
        return text
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
