import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
@testable import OnrampServer
import Testing

/// What a tenant's document may reach, through the API in process: the server's environment, files
/// outside its area, other places for its secrets; and validation that changes nothing on disk.
@Suite struct TenantBoundaryTests {
    func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, key: String?,
              body: Value? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map(APITests.body))
    }

    static func with(source: Value? = nil, steps: Value? = nil, destination: Value? = nil, _ dir: URL) -> Value {
        var d = APITests.pipeline(dir).objectValue!
        if let source { d["source"] = source }
        if let steps { d["steps"] = steps }
        if let destination { d["destination"] = destination }
        return .object(d)
    }

    @Test func aTenantsDocumentReachesNoEnvironmentNoOutsideFileAndNoMisplacedSecret() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        setenv("ONRAMP_TEST_SERVER_SECRET", "server-only-value", 1)
        try "master".write(to: f.dir.appendingPathComponent("master.key"), atomically: true, encoding: .utf8)
        let outside = f.dir.deletingLastPathComponent().appendingPathComponent("outside-\(UUID().uuidString).txt")
        try "OUTSIDE-CONTENT-7f3".write(to: outside, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: outside) }
        try FileManager.default.createSymbolicLink(atPath: f.dir.path + "/tenants/acme/files/link.csv", withDestinationPath: outside.path)
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            let admin = f.keys["acme-admin"]
            #expect(try await call(client, .put, "/api/v1/tenants/acme/secrets/TOKEN", key: admin, body: ["value": "tenant-token-123"]).status == .ok)
            // (document, the error code, the field) for every way out.
            // (document, the error code, the field) for every way out; a glob is checked when it is read.
            let attacks: [(Value, String, String)] = [
                (Self.with(steps: [["set": ["x": "\"${env:ONRAMP_TEST_SERVER_SECRET}\""]]], f.dir), "spec.env", "steps[0].set.x"),
                (Self.with(steps: [["set": ["x": "\"${secret:TOKEN}\""]]], f.dir), "spec.secret_placement", "steps[0].set.x"),
                (Self.with(source: ["connector": "csv", "config": ["path": "${secret:TOKEN}"]], f.dir), "spec.secret_placement",
                 "source.config.path"),
                (Self.with(source: ["connector": "csv", "config": ["path": .string(f.dir.path + "/master.key")]], f.dir), "file.outside",
                 "source.config.path"),
                (Self.with(source: ["connector": "csv", "config": ["path": "../../../master.key"]], f.dir), "file.outside", "source.config.path"),
                (Self.with(source: ["connector": "csv", "config": ["path": "in/../../../master.key"]], f.dir), "file.outside",
                 "source.config.path"),
                (Self.with(source: ["connector": "csv", "config": ["path": "link.csv"]], f.dir), "file.outside", "source.config.path"),
                (Self.with(source: ["connector": "csv", "config": ["path": "*.csv"]], f.dir), "file.outside", "source.config.path"),
                (Self.with(destination: ["connector": "file", "config": ["path": "../../../onramp.sqlite"]], f.dir), "file.outside",
                 "destination.config.path"),
                (Self.with(destination: ["connector": "file", "config": ["path": .string(f.dir.path + "/master.key")]], f.dir),
                 "file.outside", "destination.config.path"),
                (Self.with(destination: ["connector": "file", "config": ["path": "link.csv"]], f.dir), "file.outside",
                 "destination.config.path"),
                // The steps that read or write through connectors: a lookup's table, a route's second destination.
                (Self.with(steps: [["lookup": ["table": ["file": "../../../master.csv"], "on": ["a": "b"], "into": "r"]]], f.dir),
                 "file.outside", "steps[0].lookup.table.file"),
                (Self.with(steps: [["lookup": ["table": ["file": "link.csv"], "on": ["a": "b"], "into": "r"]]], f.dir),
                 "file.outside", "steps[0].lookup.table.file"),
                (Self.with(steps: [["lookup": ["table": ["source": ["connector": "csv", "config": ["path": "${secret:TOKEN}"]]],
                                               "on": ["a": "b"], "into": "r"]]], f.dir),
                 "spec.secret_placement", "steps[0].lookup.table.source.config.path"),
                (Self.with(steps: [["route": ["when": "true", "destination": ["connector": "file",
                                                                              "config": ["path": "../../../onramp.sqlite"]]]]], f.dir),
                 "file.outside", "steps[0].route.destination.config.path"),
            ]
            for (document, code, field) in attacks {
                let preview = try await call(client, .post, "/api/v1/tenants/acme/preview", key: admin, body: ["document": document])
                let text = String(buffer: preview.body)
                #expect(preview.status == .unprocessableContent, "\(text)")
                #expect(try APITests.json(preview)["error"]?["code"]?.stringValue == code, "\(text)")
                #expect(try APITests.json(preview)["error"]?["field"]?.stringValue?.hasSuffix(field) == true, "\(text)")
                #expect(!text.contains("server-only-value") && !text.contains("tenant-token-123") && !text.contains("OUTSIDE-CONTENT-7f3"))
                let saved = try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: f.keys["engineer"], body: document)
                let isGlob = document["source"]?["config"]?["path"] == "*.csv"
                #expect(saved.status == (isGlob ? .created : .unprocessableContent), "\(String(buffer: saved.body))")
            }
            // An unknown secret is named at save, by name.
            let unknown = Self.with(destination: ["connector": "file", "config": ["path": "out.ndjson"]], f.dir)
            var doc = unknown.objectValue!
            doc["notify"] = ["url": "https://hooks.example.invalid/x", "secret": "${secret:NOPE}"]
            let saved = try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: f.keys["engineer"], body: .object(doc))
            #expect(saved.status == .unprocessableContent)
            let error = try APITests.json(saved)["error"]
            #expect(error?["code"] == "spec.secret" && error?["field"] == "notify.secret")
        }
        #expect(try String(contentsOf: f.dir.appendingPathComponent("master.key"), encoding: .utf8) == "master")
        #expect(try String(contentsOf: outside, encoding: .utf8) == "OUTSIDE-CONTENT-7f3")
    }

    @Test func validationAndPreviewWriteNothing() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        let before = Self.listing(f.dir)
        try await app.test(.router) { client in
            let document = Self.with(destination: ["connector": "file", "config": ["path": "new/folder/out.ndjson"]], f.dir)
            let valid = try await call(client, .post, "/api/v1/validate", key: f.keys["acme-viewer"], body: document)
            #expect(try APITests.json(valid)["valid"] == true)
            #expect(try await call(client, .post, "/api/v1/tenants/acme/preview", key: f.keys["acme-admin"],
                                   body: ["document": document]).status == .ok)
        }
        #expect(Self.listing(f.dir) == before)
    }

    @Test func theLimitsAreVisibleToEveryKey() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        var api = f.api
        api.previewSeconds = 4
        let app = Application(router: Conformance(api.buildRouter()))
        try await app.test(.router) { client in
            let limits = try APITests.json(try await call(client, .get, "/api/v1/limits", key: f.keys["acme-viewer"]))
            #expect(limits["run"]?["max_attempts"] == 3 && limits["run"]?["memory_mib"] == 4096)
            #expect(limits["preview"]?["seconds"] == 4 && limits["upload"]?["max_bytes"] == .number(Double(256 << 20)))
        }
    }

    @Test func previewsRunAFewAtATimeInAllAndPerTenant() async {
        let gate = PreviewGate(total: 3, perTenant: 2)
        #expect(await gate.enter("a"))
        #expect(await gate.enter("a"))
        #expect(await gate.enter("a") == false)  // acme's two places are taken
        #expect(await gate.enter("b"))
        #expect(await gate.enter("c") == false)  // all three are
        await gate.leave("a")
        #expect(await gate.enter("c"))
    }

    static func listing(_ dir: URL) -> [String] {
        (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String] ?? []).sorted()
    }

    @Test func previewOutputAndErrorsNeverShowASecretValue() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try "id,amount\n1,tenant-token-123\n".write(to: f.dir.appendingPathComponent("tenants/acme/files/in/a.csv"), atomically: true,
                                                     encoding: .utf8)
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            _ = try await call(client, .put, "/api/v1/tenants/acme/secrets/TOKEN", key: f.keys["acme-admin"], body: ["value": "tenant-token-123"])
            let preview = try await call(client, .post, "/api/v1/tenants/acme/preview", key: f.keys["acme-admin"],
                                         body: ["document": APITests.pipeline(f.dir), "limit": 10])
            let text = String(buffer: preview.body)
            #expect(preview.status == .ok && text.contains("***") && !text.contains("tenant-token-123"), "\(text)")
        }
    }
}

@Suite struct FileAreaAndEgressTests {
    @Test func confinedPathsStayInsideTheArea() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("area-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createSymbolicLink(atPath: root.path + "/sub/out", withDestinationPath: "/etc")
        let area = FileArea.confined(root.path)
        #expect(try area.resolve("a/b.csv", field: "f") == root.path + "/a/b.csv")
        for bad in ["../x", "a/../../x", "/etc/passwd", "sub/out/passwd", "sub/out", "a\u{0}b", "", "x/\u{7}"] {
            #expect(throws: OnrampError.self, "\(bad)") { try area.resolve(bad, field: "f") }
        }
        #expect(throws: OnrampError.self) { try area.resolve("sub/out", field: "f", forWriting: true) }
        let local = FileArea.local("/base")
        #expect(try local.resolve("/etc/hosts", field: "f") == "/etc/hosts")
        #expect(try local.resolve("x", field: "f") == "/base/x")
        let mounted = FileArea.confined(root.path, readOnlyRoots: ["/usr/share"])
        #expect(try mounted.resolve("/usr/share/x", field: "f") == "/usr/share/x")
        #expect(throws: OnrampError.self) { try mounted.resolve("/usr/share/x", field: "f", forWriting: true) }
        #expect(throws: OnrampError.self) { try mounted.resolve("/usr/lib/x", field: "f") }
    }

    @Test func egressRefusesMetadataAlwaysAndPrivateUnlessAllowed() async throws {
        let strict = EgressPolicy()
        for url in ["http://169.254.169.254/latest/meta-data", "http://[fd00:ec2::254]/", "http://127.0.0.1:8080", "http://10.1.2.3",
                    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://localhost/", "http://192.168.1.1"] {
            await #expect(throws: OnrampError.self, "\(url)") { try await strict.check(url: url, field: "f") }
        }
        try await strict.check(url: "https://93.184.216.34/x", field: "f")
        let lenient = EgressPolicy(allowPrivate: true)
        try await lenient.check(url: "http://127.0.0.1:8080", field: "f")
        await #expect(throws: OnrampError.self) { try await lenient.check(url: "http://169.254.169.254/", field: "f") }
        let listed = EgressPolicy(allowed: ["127.0.0.0/8"])
        try await listed.check(url: "http://127.0.0.1:9", field: "f")
        await #expect(throws: OnrampError.self) { try await listed.check(url: "http://10.0.0.1", field: "f") }
        try await EgressPolicy.unrestricted.check(url: "http://169.254.169.254/", field: "f")
        // Only http and https: a unix socket URL would ignore its host.
        await #expect(throws: OnrampError.self) { try await strict.check(url: "unix://8.8.8.8/tmp/s.sock?", field: "f") }
    }
}
