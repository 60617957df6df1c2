import Foundation
import Hummingbird
import OnrampConnectorKit
@testable import OnrampConnectorsS3
import OnrampCore
import Testing

/// Where credentials come from, and where requests go.
struct CredentialProviderTests {
    @Test func containerRoleCredentialsAreFetchedAndCached() async throws {
        let router = Router()
        let calls = CallCount()
        router.get("/creds") { request, _ -> Response in
            await calls.add()
            guard request.headers[.authorization] == "task-token" else { return Response(status: .unauthorized) }
            let body = #"{"AccessKeyId":"ASIAROLE","SecretAccessKey":"role-secret","Token":"session","#
                + #""Expiration":"2099-01-01T00:00:00Z"}"#
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { found.yield($0.localAddress?.port ?? 0) })
        try await withRunningService(app) {
            var it = ports.makeAsyncIterator()
            let port = await it.next()!
            let provider = try CredentialProvider.chain(
                accessKeyId: nil, secretAccessKey: nil, sessionToken: nil,
                environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(port)/creds",
                              "AWS_CONTAINER_AUTHORIZATION_TOKEN": "task-token"],
                instanceRole: true, field: "source.config.access_key_id", http: MotoS3.http)
            let first = try await provider.credentials()
            #expect(first.accessKeyId == "ASIAROLE" && first.secretAccessKey == "role-secret" && first.sessionToken == "session")
            _ = try await provider.credentials()
            #expect(await calls.value == 1)
        }
    }

    @Test func theChainPrefersTheConfigThenTheEnvironment() async throws {
        let env = ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "t"]
        let fromConfig = try CredentialProvider.chain(accessKeyId: "AKIACONFIG", secretAccessKey: "s", sessionToken: nil,
                                                      environment: env, instanceRole: false, field: "f.access_key_id",
                                                      http: MotoS3.http)
        #expect(try await fromConfig.credentials().accessKeyId == "AKIACONFIG")
        let fromEnv = try CredentialProvider.chain(accessKeyId: nil, secretAccessKey: nil, sessionToken: nil,
                                                   environment: env, instanceRole: false, field: "f.access_key_id",
                                                   http: MotoS3.http)
        #expect(try await fromEnv.credentials() == AWSCredentials(accessKeyId: "AKIAENV", secretAccessKey: "env-secret",
                                                                  sessionToken: "t"))
        let half = #expect(throws: OnrampError.self) {
            try CredentialProvider.chain(accessKeyId: "AKIA", secretAccessKey: nil, sessionToken: nil, environment: env,
                                         instanceRole: true, field: "source.config.access_key_id", http: MotoS3.http)
        }
        #expect(half?.location == "source.config.secret_access_key")
    }

    @Test func addressingStyles() throws {
        func client(_ bucket: String, endpoint: String?, pathStyle: Bool?) throws -> S3Client {
            try S3Client(bucket: bucket, region: "eu-central-1", endpoint: endpoint, pathStyle: pathStyle,
                         credentials: CredentialProvider(.fixed(AWSCredentials(accessKeyId: "a", secretAccessKey: "b")),
                                                         http: MotoS3.http),
                         http: MotoS3.http, egress: .unrestricted, field: "source.config")
        }
        let aws = try client("orders-eu", endpoint: nil, pathStyle: nil).target("exports/a b.csv")
        #expect(aws.host == "orders-eu.s3.eu-central-1.amazonaws.com" && aws.path == "/exports/a b.csv")
        let dotted = try client("orders.eu", endpoint: nil, pathStyle: nil).target("k")
        #expect(dotted.host == "s3.eu-central-1.amazonaws.com" && dotted.path == "/orders.eu/k")
        let minio = try client("orders", endpoint: "https://minio.example:9000", pathStyle: nil).target(nil)
        #expect(minio.host == "minio.example:9000" && minio.path == "/orders")
        let r2 = try client("orders", endpoint: "https://acct.r2.example:443", pathStyle: false).target("k")
        #expect(r2.host == "orders.acct.r2.example" && r2.path == "/k")
        let bad = #expect(throws: OnrampError.self) { try client("orders", endpoint: "ftp://x/y", pathStyle: nil) }
        #expect(bad?.location == "source.config.endpoint")
    }
}

actor CallCount {
    var value = 0
    func add() { value += 1 }
}
