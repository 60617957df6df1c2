import AsyncHTTPClient
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OnrampConnectorsS3
import OnrampCore
import Testing

/// Run artifacts in S3 (moto): two API-only servers and a worker, each with a data directory of its own, on one
/// PostgreSQL and one master key. The worker seals a run's outputs and moves them to the bucket; both servers serve
/// the downloads from there; the bucket holds only sealed bytes; a server pointed at a missing bucket does not start.
@Suite(.serialized) struct ArtifactStoreProcessTests {
    typealias Child = ProcessTests.Child
    static let key = ProcessTests.adminKey
    static let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)

    static func bytes(_ url: String) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, data)
    }

    static func files(_ dir: URL) -> [String] {
        (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String] ?? []).sorted()
    }

    @Test func downloadsComeFromTheBucketOnEveryServer() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let postgres = env["ONRAMP_TEST_POSTGRES"], let ca = env["ONRAMP_TEST_POSTGRES_CA"],
              let s3 = env["ONRAMP_TEST_S3"], let keyId = env["ONRAMP_TEST_S3_KEY_ID"],
              let secret = env["ONRAMP_TEST_S3_SECRET"] else {
            if env["CI"] == "true" {
                Issue.record("needs PostgreSQL and moto (source scripts/postgres-test.sh and scripts/moto-test.sh)")
            }
            return
        }
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build): \(ProcessTests.binary)")
            return
        }
        let bucket = "artifacts-\(UUID().uuidString.prefix(8).lowercased())"
        let client = try S3Client(
            bucket: bucket, region: "us-east-1", endpoint: s3, pathStyle: true,
            credentials: CredentialProvider(.fixed(AWSCredentials(accessKeyId: keyId, secretAccessKey: secret)), http: Self.http),
            http: Self.http, egress: .unrestricted, field: "test")
        try await client.createBucket()

        let dir = try HostileServer.temporaryDirectory("artifacts")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataA = dir.appendingPathComponent("a"), dataB = dir.appendingPathComponent("b")
        let dataW = dir.appendingPathComponent("w")
        let schema = "a_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let masterKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        var childEnv = ["ONRAMP_ADMIN_KEY": Self.key, "ONRAMP_MASTER_KEY": masterKey,
                        "ONRAMP_STORE": "\(postgres)?sslmode=verify-full&sslrootcert=\(ca)&schema=\(schema)",
                        "AWS_ACCESS_KEY_ID": keyId, "AWS_SECRET_ACCESS_KEY": secret,
                        "ONRAMP_ARTIFACTS": "s3://\(bucket)/onramp?endpoint=\(s3)"]
        func log(_ name: String) -> URL { dir.appendingPathComponent(name) }

        let sandbox = try Child(["taxman-sandbox", "--port", "0", "--api-key", "tk"], log: log("sandbox.log"))
        defer { sandbox.stop() }
        let sandboxURL = "http://127.0.0.1:\(try await sandbox.port())"
        func serve(_ data: URL, _ name: String) throws -> Child {
            try Child(["serve", "--data", data.path, "--port", "0", "--workers", "0"], env: childEnv, log: log(name))
        }
        let a = try serve(dataA, "serve-a.log")
        defer { a.stop() }
        let baseA = "http://127.0.0.1:\(try await a.port())/api/v1"
        let b = try serve(dataB, "serve-b.log")
        defer { b.stop() }
        let baseB = "http://127.0.0.1:\(try await b.port())/api/v1"
        let worker = try Child(["worker", "--data", dataW.path, "--workers", "1", "--egress-allow", "127.0.0.1"],
                               env: childEnv, log: log("worker.log"))
        defer { worker.stop() }

        // The tenant's file is where the worker runs (tenants' file areas are not in the object store).
        #expect(try await ProcessTests.http("POST", "\(baseA)/tenants", key: Self.key, body: ["id": "t"]).0 == 201)
        #expect(try await ProcessTests.http("PUT", "\(baseA)/tenants/t/secrets/TAXMAN_KEY", key: Self.key,
                                            body: ["value": "tk", "origins": [.string(sandboxURL)]]).0 == 200)
        let files = dataW.appendingPathComponent("tenants/t/files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        try "id,region,amount\nord-1,CA,10.25\nord-2,NY,x\nord-3,TX,7.5\n"
            .write(to: files.appendingPathComponent("orders.csv"), atomically: true, encoding: .utf8)
        let document = ProcessTests.ordersToTaxman("orders", path: "orders.csv", batch: 5, sandboxURL: sandboxURL)
        let pipeline = try #require(try await ProcessTests.http("POST", "\(baseA)/tenants/t/pipelines", key: Self.key,
                                                                body: document).1?["id"]?.stringValue)
        let run = try #require(try await ProcessTests.http("POST", "\(baseA)/tenants/t/pipelines/\(pipeline)/runs",
                                                           key: Self.key).1?["id"]?.stringValue)
        var state: String?
        for _ in 0..<300 where !["succeeded", "succeeded_with_errors", "failed"].contains(state ?? "") {
            try await Task.sleep(for: .milliseconds(100))
            state = try await ProcessTests.http("GET", "\(baseB)/tenants/t/runs/\(run)", key: Self.key).1?["state"]?.stringValue
        }
        #expect(state == "succeeded_with_errors")

        // Both servers answer from the bucket; neither keeps a copy, and the worker's disk has none left.
        let resultsA = try await Self.bytes("\(baseA)/tenants/t/runs/\(run)/results")
        let resultsB = try await Self.bytes("\(baseB)/tenants/t/runs/\(run)/results")
        #expect(resultsA.0 == 200 && resultsA.1 == resultsB.1)
        let results = String(decoding: resultsA.1, as: UTF8.self)
        #expect(results.contains("ord-1") && results.contains("ord-3") && !results.contains("ord-2"))
        let errors = try await ProcessTests.http("GET", "\(baseB)/tenants/t/runs/\(run)/errors?format=json", key: Self.key)
        #expect(errors.0 == 200 && errors.1?["total"] == 1)
        #expect(JSONWriter.string(errors.1 ?? .null).contains("ord-2"))
        let logs = try await Self.bytes("\(baseA)/tenants/t/runs/\(run)/logs")
        #expect(logs.0 == 200 && !logs.1.isEmpty)
        #expect(FileManager.default.fileExists(atPath: dataW.appendingPathComponent("runs/\(run)").path))
        let left = Self.files(dataW.appendingPathComponent("runs/\(run)"))
        #expect(!left.contains { $0.hasSuffix(".sealed") || $0.contains("results") || $0.contains("errors") }, "\(left)")

        let objects = try await client.listAll(prefix: "onramp").map(\.key)
        for name in ["results", "errors_csv", "errors_ndjson", "log"] {
            #expect(objects.contains("onramp/runs/\(run)/1/\(name).sealed"), "\(objects)")
        }
        let sealedPath = dir.appendingPathComponent("results.sealed").path
        _ = try await client.download("onramp/runs/\(run)/1/results.sealed", to: sealedPath, maxBytes: 1 << 20)
        let sealed = try #require(FileManager.default.contents(atPath: sealedPath))
        #expect(sealed.starts(with: Data("ONRAMPA2".utf8)))
        #expect(sealed.range(of: Data("ord-1".utf8)) == nil)

        // A late upload of another attempt (a worker that lost its lease) does not replace the recorded attempt's.
        try await client.put("onramp/runs/\(run)/2/results.sealed", body: [UInt8](sealed))
        #expect(try await Self.bytes("\(baseB)/tenants/t/runs/\(run)/results").1 == resultsA.1)

        // Signing with the instance role while tenants may use it too: refused.
        var roleEnv = childEnv
        roleEnv["AWS_ACCESS_KEY_ID"] = ""
        roleEnv["AWS_SECRET_ACCESS_KEY"] = ""
        let shared = try Child(["worker", "--data", dataW.path, "--allow-instance-credentials"], env: roleEnv,
                               log: log("worker-role.log"))
        shared.process.waitUntilExit()
        #expect(shared.process.terminationStatus != 0)
        #expect(((try? String(contentsOf: log("worker-role.log"), encoding: .utf8)) ?? "").contains("instance role"))

        // A bucket that is not there: the server refuses to start and says which.
        childEnv["ONRAMP_ARTIFACTS"] = "s3://no-such-\(bucket)/onramp?endpoint=\(s3)"
        let refused = try serve(dir.appendingPathComponent("c"), "serve-c.log")
        refused.process.waitUntilExit()
        #expect(refused.process.terminationStatus != 0)
        let said = (try? String(contentsOf: log("serve-c.log"), encoding: .utf8)) ?? ""
        #expect(said.contains("no-such-\(bucket)"), "\(said)")
    }
}
