import Foundation
import OnrampCore
import Testing

/// `onramp pull` and `onramp push` against a real `onramp serve`: a round trip through files, plans that show
/// exactly what changed, roles, a bad file that stops the whole push, prune, and no secret value in any file.
@Suite(.serialized) struct PipelinesAsCodeTests {
    static let taxmanOrigin = "http://127.0.0.1:9"

    static let orders: Value = [
        "version": 1, "name": "orders", "description": "yes: a description YAML could misread",
        "source": ["connection": "erp"],
        "steps": [
            ["map": "{\n  \"transactionId\": id,\n  \"type\": \"SalesInvoice\",\n  \"amount\": $number(amount)\n}\n"]
        ],
        "destination": [
            "connector": "taxman", "config": ["base_url": .string(taxmanOrigin), "api_key": "${secret:TAXMAN_KEY}"],
        ],
        "batch_size": 50,
    ]
    static let dots: Value = [
        "version": 1, "name": "..", "source": ["connector": "csv", "config": ["path": "orders.csv"]],
        "destination": ["connector": "file", "config": ["path": "out.ndjson"]],
    ]

    /// Every file under the layout's folders by its relative path.
    static func files(_ dir: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        for folder in ["connections", "templates", "pipelines", "schedules"] {
            let path = dir.appendingPathComponent(folder)
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: path.path)) ?? [] {
                out["\(folder)/\(entry)"] = try String(contentsOf: path.appendingPathComponent(entry), encoding: .utf8)
            }
        }
        return out
    }

    func onramp(_ args: [String], in dir: URL, key: String) async throws -> CommandRunner.Result {
        try await CommandRunner.run(ProcessTests.binary, args, directory: dir, env: ["ONRAMP_API_KEY": key])
    }

    static func setUp(_ server: HostileServer) async throws {
        let admin = HostileServer.admin
        #expect(
            try await server.call(
                "PUT", "/tenants/acme/secrets/TAXMAN_KEY", key: admin,
                json: ["value": .string(HostileServer.secret), "origins": [.string(taxmanOrigin)]]
            ).status == 200)
        #expect(
            try await server.call(
                "PUT", "/tenants/acme/connections/erp", key: admin,
                json: ["connector": "csv", "config": ["path": "orders.csv", "delimiter": ";"]]
            ).status == 200)
        for document in [orders, dots] {
            let saved = try await server.call("POST", "/tenants/acme/pipelines", key: admin, json: document)
            #expect(saved.status == 201, "\(saved.body)")
        }
        #expect(
            try await server.call(
                "POST", "/tenants/acme/pipelines/orders/schedules", key: admin,
                json: ["cron": "0 6 * * mon-fri", "timezone": "America/New_York"]
            ).status == 201)
    }

    func version(_ server: HostileServer, _ name: String) async throws -> Int? {
        let list = try await server.call("GET", "/tenants/acme/pipelines", key: HostileServer.admin).json
        return list?["pipelines"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["version"]?.numberValue.map {
            Int($0)
        }
    }

    @Test func pullChangePushAndPullAgainIsIdenticalAndBadPushesApplyNothing() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-pac-\(UUID().uuidString)")
        let a = dir.appendingPathComponent("a")
        let b = dir.appendingPathComponent("b")
        try FileManager.default.createDirectory(at: a, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var server = try await HostileServer.start(dir, [])
        defer { server.child.stop() }
        try await server.setUp()
        try await Self.setUp(server)
        let admin = HostileServer.admin
        let target = ["--server", server.base, "--tenant", "acme"]

        // Pull: the files, no secret value anywhere, nothing outside the directory; a second pull is byte-identical.
        let pulled = try await onramp(["pull"] + target + ["--dir", a.path], in: dir, key: admin)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        let first = try Self.files(a)
        #expect(
            first.keys.sorted() == [
                "connections/erp.yaml", "pipelines/%2E..yaml", "pipelines/orders.yaml", "schedules/orders.yaml",
            ])
        #expect(first.values.allSatisfy { !$0.contains(HostileServer.secret) })
        #expect(first["pipelines/orders.yaml"]?.contains("api_key: \"${secret:TAXMAN_KEY}\"") == true)
        #expect(
            first["pipelines/orders.yaml"]?.contains("description: \"yes: a description YAML could misread\"") == true)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
                !$0.hasPrefix(".") && !$0.hasSuffix(".log")
            }
            .sorted() == ["a", "data"])  // before c is pulled
        #expect(try await onramp(["pull"] + target + ["--dir", a.path], in: dir, key: admin).status == 0)
        #expect(try Self.files(a) == first)

        // Pushing what was pulled plans nothing.
        let unchanged = try await onramp(["push", a.path] + target, in: dir, key: admin)
        #expect(
            unchanged.status == 0 && unchanged.stdout.contains("No changes"), "\(unchanged.stdout)\(unchanged.stderr)")

        // One edit: the plan shows exactly it, applies nothing without --apply, then a new version with it.
        let ordersFile = a.appendingPathComponent("pipelines/orders.yaml")
        try first["pipelines/orders.yaml"]!.replacingOccurrences(of: "SalesInvoice", with: "ReturnInvoice")
            .write(to: ordersFile, atomically: true, encoding: .utf8)
        let plan = try await onramp(["push", a.path] + target, in: dir, key: admin)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("Plan for tenant acme: 0 to create, 1 to change, 0 to delete, 0 kept"))
        #expect(plan.stdout.contains("~ change pipeline orders (pipelines/orders.yaml): a new version"))
        let diff = plan.stdout.split(separator: "\n").filter { $0.hasPrefix("    -") || $0.hasPrefix("    +") }
        #expect(
            diff == ["    -      \"type\": \"SalesInvoice\",", "    +      \"type\": \"ReturnInvoice\","],
            "\(plan.stdout)")
        #expect(try await version(server, "orders") == 1)
        let applied = try await onramp(["push", a.path, "--apply"] + target, in: dir, key: admin)
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(try await version(server, "orders") == 2)
        #expect(try await version(server, "..") == 1)
        #expect(try await onramp(["pull"] + target + ["--dir", b.path], in: dir, key: admin).status == 0)
        #expect(try Self.files(b) == Self.files(a))
        let c = dir.appendingPathComponent("c")
        #expect(
            try await onramp(["pull"] + target + ["--dir", c.path, "--pipeline", "orders"], in: dir, key: admin).status
                == 0)
        #expect(try Self.files(c) == Self.files(a).filter { $0.key.hasSuffix("/orders.yaml") })
        #expect(try Self.files(c).count == 2)
        #expect(try await onramp(["push", a.path] + target, in: dir, key: admin).stdout.contains("No changes"))

        // A viewer's key reads (the plan) but cannot push: 403 said clearly, nothing applied.
        let viewer = try #require(
            try await server.call(
                "POST", "/tenants/acme/api-keys", key: admin,
                json: ["name": "ci", "role": "tenant_viewer"]
            ).json?["key"]?.stringValue)
        try String(contentsOf: ordersFile, encoding: .utf8).replacingOccurrences(
            of: "batch_size: 50", with: "batch_size: 60"
        )
        .write(to: ordersFile, atomically: true, encoding: .utf8)
        let refused = try await onramp(["push", a.path, "--apply"] + target, in: dir, key: viewer)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("403 forbidden") && refused.stderr.contains("may not"), "\(refused.stderr)")
        #expect(try await version(server, "orders") == 2)

        // A bad pipeline file: its path and the server's field, and nothing else of that push applied.
        try "version: 1\nname: broken\nsource: {connector: csv, config: {path: ../outside.csv}}\n"
            .appending("destination: {connector: file, config: {path: out.ndjson}}\n")
            .write(to: a.appendingPathComponent("pipelines/broken.yaml"), atomically: true, encoding: .utf8)
        let bad = try await onramp(["push", a.path, "--apply"] + target, in: dir, key: admin)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("pipelines/broken.yaml: source.config.path"), "\(bad.stderr)")
        #expect(bad.stderr.contains("nothing applied"))
        #expect(try await version(server, "orders") == 2)
        #expect(try await version(server, "broken") == nil)
        try FileManager.default.removeItem(at: a.appendingPathComponent("pipelines/broken.yaml"))

        // A pipeline only on the server is kept without --prune and archived with it.
        try FileManager.default.removeItem(at: a.appendingPathComponent("pipelines/%2E..yaml"))
        let kept = try await onramp(["push", a.path, "--apply"] + target, in: dir, key: admin)
        #expect(
            kept.stdout.contains("= keep pipeline ..: on the server, not in the directory (--prune would archive it)"))
        #expect(try await version(server, "..") == 1)
        #expect(try await version(server, "orders") == 3)
        let pruned = try await onramp(["push", a.path, "--apply", "--prune"] + target, in: dir, key: admin)
        #expect(
            pruned.status == 0 && pruned.stdout.contains("- archive pipeline .. (--prune: not in the directory)"),
            "\(pruned.stdout)\(pruned.stderr)")
        #expect(try await version(server, "..") == nil)
        #expect(try await onramp(["push", a.path, "--check"] + target, in: dir, key: admin).status == 0)

        // Pruning a connection an unchanged pipeline still uses is refused before anything is deleted.
        try FileManager.default.removeItem(at: a.appendingPathComponent("connections/erp.yaml"))
        let inUse = try await onramp(["push", a.path, "--apply", "--prune"] + target, in: dir, key: admin)
        #expect(
            inUse.status == 1 && inUse.stderr.contains("pipelines/orders.yaml: source.connection"), "\(inUse.stderr)")
        #expect(try await server.call("GET", "/tenants/acme/connections/erp", key: admin).status == 200)
        #expect(try await onramp(["push", a.path, "--check"] + target, in: dir, key: admin).status == 3)
    }

    @Test func pullOverHTTPSTrustsTheCAFileGivenAndNothingElse() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-pac-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let made = try await CommandRunner.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ], directory: dir)
        #expect(made.status == 0, "\(made.stderr)")
        var server = try await HostileServer.start(
            dir,
            [
                "--tls-cert", dir.appendingPathComponent("cert.pem").path,
                "--tls-key", dir.appendingPathComponent("key.pem").path,
            ])
        defer { server.child.stop() }
        server.base = server.base.replacingOccurrences(of: "http://", with: "https://")
        let target = ["--server", server.base, "--tenant", "acme", "--dir", dir.appendingPathComponent("out").path]
        let untrusted = try await onramp(["pull"] + target, in: dir, key: HostileServer.admin)
        #expect(untrusted.status == 1 && untrusted.stderr.contains("deploy.transport"), "\(untrusted.stderr)")
        let trusted = try await onramp(
            ["pull"] + target + ["--ca-file", dir.appendingPathComponent("cert.pem").path], in: dir,
            key: HostileServer.admin)
        #expect(
            trusted.status == 0 && trusted.stdout.contains("pulled tenant acme"), "\(trusted.stdout)\(trusted.stderr)")
    }

    @Test func withoutAKeyPullSaysWhereToPutOne() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-pac-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try await CommandRunner.run(
            ProcessTests.binary, ["pull", "--server", "http://127.0.0.1:9", "--tenant", "acme"],
            directory: dir, env: ["ONRAMP_API_KEY": ""])
        #expect(r.status == 1 && r.stderr.contains("deploy.api_key"), "\(r.stderr)")
    }
}
