import Foundation
import OnrampCore
import OnrampStoreS3
import Testing

/// The keyring's keys encrypted by a KMS key (moto's KMS): a plain keyring is wrapped on the first start with
/// `--kms-key` and its plain key files removed; the secrets stored before still open (rotate-key re-encrypts them);
/// a start without the KMS key, with another KMS key, or with a changed key file is refused with a message.
@Suite(.serialized) struct KMSKeyringProcessTests {
    typealias Child = ProcessTests.Child

    /// A new symmetric key in moto's KMS; its id.
    static func createKey(_ endpoint: String, _ env: [String: String]) async throws -> String {
        let client = try KMSClient(keyId: "none", region: "us-east-1", endpoint: endpoint, environment: env)
        let answer = try await client.send("CreateKey", ["Description": "onramp test"])
        return try #require(answer["KeyMetadata"]?["KeyId"]?.stringValue, "\(answer)")
    }

    /// Runs `onramp ARGS` to its end: its status and output.
    static func run(_ args: [String], env: [String: String], log: URL) async throws -> (Int32, String) {
        let child = try Child(args, env: env, log: log)
        for _ in 0..<600 where child.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        child.stop()
        return (child.process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    @Test func theKeyringIsWrappedByKMSAndRefusedWithoutIt() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["ONRAMP_TEST_S3"], let keyId = env["ONRAMP_TEST_S3_KEY_ID"],
              let secret = env["ONRAMP_TEST_S3_SECRET"] else {
            if env["CI"] == "true" { Issue.record("needs moto (source scripts/moto-test.sh)") }
            return
        }
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build): \(ProcessTests.binary)")
            return
        }
        let credentials = ["AWS_ACCESS_KEY_ID": keyId, "AWS_SECRET_ACCESS_KEY": secret]
        let kmsKey = try await Self.createKey(endpoint, credentials)
        let otherKey = try await Self.createKey(endpoint, credentials)
        let dir = try HostileServer.temporaryDirectory("kms")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        let keys = data.appendingPathComponent("keys")
        func names() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: keys.path)) ?? []).filter { $0 != ".lock" }.sorted()
        }
        let plainEnv = ["ONRAMP_ADMIN_KEY": ProcessTests.adminKey, "AWS_ACCESS_KEY_ID": keyId, "AWS_SECRET_ACCESS_KEY": secret,
                        "AWS_REGION": "us-east-1", "ONRAMP_KMS_ENDPOINT": endpoint]
        let kmsEnv = plainEnv.merging(["ONRAMP_KMS_KEY": kmsKey]) { _, b in b }
        let serve = ["serve", "--data", data.path, "--port", "0", "--workers", "0"]

        // A plain keyring first, with a secret sealed under it.
        var server = try Child(serve, env: plainEnv, log: dir.appendingPathComponent("serve1.log"))
        var api = "http://127.0.0.1:\(try await server.port())/api/v1/tenants"
        #expect(try await ProcessTests.http("POST", api, key: ProcessTests.adminKey, body: ["id": "acme"]).0 == 201)
        #expect(try await ProcessTests.http("PUT", "\(api)/acme/secrets/DB_PASSWORD", key: ProcessTests.adminKey,
                                            body: ["value": "s3cret", "origins": ["postgres://db.example:5432"]]).0 == 200)
        server.stop()
        let plainKey = try #require(names().first { $0.hasSuffix(".key") })
        // A stale wrapped file beside it (a restore, another KMS key): written again from the plain key, never trusted.
        try Data("stale".utf8).write(to: keys.appendingPathComponent(String(plainKey.dropLast(4)) + ".kms"))

        // Wrapped on the first start with the KMS key: the plain key file is gone, the wrapped one is a KMS blob.
        server = try Child(serve, env: kmsEnv, log: dir.appendingPathComponent("serve2.log"))
        api = "http://127.0.0.1:\(try await server.port())/api/v1/tenants"
        let listed = try await ProcessTests.http("GET", "\(api)/acme/secrets", key: ProcessTests.adminKey)
        #expect(listed.0 == 200 && "\(listed.1 ?? .null)".contains("DB_PASSWORD"), "\(listed.1 ?? .null)")
        server.stop()
        let wrapped = String(plainKey.dropLast(4)) + ".kms"
        #expect(Set(names()) == ["current", wrapped], "\(names())")
        let blob = try Data(contentsOf: keys.appendingPathComponent(wrapped))
        #expect(blob.count > 32)

        // Without the KMS key, or with another one, the server does not start, and says why.
        let (status, text) = try await Self.run(serve, env: plainEnv, log: dir.appendingPathComponent("serve3.log"))
        #expect(status != 0 && text.contains("--kms-key"), "\(text)")
        let (otherStatus, otherText) = try await Self.run(serve, env: plainEnv.merging(["ONRAMP_KMS_KEY": otherKey]) { _, b in b },
                                                          log: dir.appendingPathComponent("serve4.log"))
        #expect(otherStatus != 0 && otherText.contains("KMS refused Decrypt"), "\(otherText)")

        // The secret opens with the unwrapped key: rotate-key re-encrypts it under a new key, written wrapped too.
        let (rotated, rotateText) = try await Self.run(["rotate-key", "--data", data.path], env: kmsEnv,
                                                       log: dir.appendingPathComponent("rotate.log"))
        #expect(rotated == 0 && rotateText.contains("re-encrypted 1 secret(s)"), "\(rotateText)")
        #expect(names().filter { $0.hasSuffix(".kms") }.count == 2 && !names().contains { $0.hasSuffix(".key") }, "\(names())")

        // A wrapped key file changed on disk is refused.
        var changed = blob
        changed[changed.count / 2] ^= 0x01
        try changed.write(to: keys.appendingPathComponent(wrapped))
        let (tamperedStatus, tamperedText) = try await Self.run(serve, env: kmsEnv, log: dir.appendingPathComponent("serve5.log"))
        #expect(tamperedStatus != 0 && tamperedText.contains("KMS refused Decrypt"), "\(tamperedText)")
    }
}
