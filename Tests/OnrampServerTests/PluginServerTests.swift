import Foundation
import OnrampCore
import Testing

/// Plugins on a real `onramp serve --plugins DIR`: installed with `onramp plugins install`, listed in the catalog
/// with the spec they answered, checked, discovered and run through the worker processes like built-in connectors,
/// with a tenant's secret in a field the plugin's spec marks secret.
@Suite(.serialized) struct PluginServerTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func onramp(_ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ProcessTests.binary)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    @Test func installedPluginsAreCheckedDiscoveredAndRunThroughTheAPI() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-plugin-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: dir) }
        let plugins = dir.appendingPathComponent("plugins").path
        let mock = Self.repository.appendingPathComponent("Tests/OnrampPluginsTests/Plugins/airbyte_mock").path
        let installed = try Self.onramp(["plugins", "install", mock, "--plugins", plugins])
        #expect(installed.status == 0 && installed.output.contains("installed airbyte_mock 1.0.0 (airbyte)"), "\(installed.output)")
        #expect(try Self.onramp(["plugins", "install", mock, "--plugins", plugins]).output.contains("installed already"))
        #expect(try Self.onramp(["plugins", "list", "--plugins", plugins]).output.hasPrefix("airbyte_mock\t1.0.0\tairbyte"))
        // A Singer tap beside it (with the test taps' shared module where they look for it).
        let tests = Self.repository.appendingPathComponent("Tests/OnrampPluginsTests/Plugins")
        let counter = tests.appendingPathComponent("singer_counter").path
        #expect(try Self.onramp(["plugins", "install", counter, "--plugins", plugins]).status == 0)
        try FileManager.default.copyItem(atPath: tests.appendingPathComponent("singer_test_tap.py").path,
                                         toPath: plugins + "/singer_test_tap.py")
        chmod(plugins + "/singer_test_tap.py", 0o644)

        var server = try await HostileServer.start(dir, ["--plugins", plugins])
        defer { server.child.stop() }
        try await server.setUp()
        let catalog = try await server.call("GET", "/connectors", key: server.keys["acme"])
        let entry = try #require(catalog.json?["connectors"]?.arrayValue?.first { $0["name"] == "airbyte_mock" })
        #expect(entry["kind"] == "source" && entry["config_schema"]?["properties"]?["settings"]?["properties"]?["api_key"]?["x-secret"] == true)

        #expect(try await server.call("PUT", "/tenants/acme/secrets/MOCK_KEY", key: server.keys["acme"],
                                      json: ["value": .string(HostileServer.secret)]).status < 300)
        let settings: Value = ["count": 12, "api_key": "${secret:MOCK_KEY}"]
        #expect(try await server.call("PUT", "/tenants/acme/connections/mock", key: server.keys["acme"],
                                      json: ["connector": "airbyte_mock", "config": ["stream": "items", "settings": settings]]).status == 200)
        let check = try await server.call("POST", "/tenants/acme/connections/mock/check", key: server.keys["acme"])
        #expect(check.json?["ok"] == true && check.json?["message"]?.stringValue?.contains("items: 12 records") == true, "\(check.body)")
        let discover = try await server.call("POST", "/tenants/acme/connections/mock/discover", key: server.keys["acme"])
        #expect(discover.json?["streams"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["items", "other"], "\(discover.body)")
        #expect(try await server.call("PUT", "/tenants/acme/connections/failing", key: server.keys["acme"],
                                      json: ["connector": "airbyte_mock", "config": ["settings": ["count": 1, "fail": "check"]]]).status == 200)
        let refused = try await server.call("POST", "/tenants/acme/connections/failing/check", key: server.keys["acme"])
        #expect(refused.json?["ok"] == false && refused.json?["code"] == "plugin.check_failed", "\(refused.body)")
        // The Singer tap: checked (it ran --discover) and discovered through the API, its key and cursor suggested.
        #expect(try await server.call("PUT", "/tenants/acme/connections/counter", key: server.keys["acme"],
                                      json: ["connector": "singer_counter",
                                             "config": ["stream": "items", "settings": ["count": 7]]]).status == 200)
        let tapCheck = try await server.call("POST", "/tenants/acme/connections/counter/check", key: server.keys["acme"])
        #expect(tapCheck.json?["ok"] == true
                && tapCheck.json?["message"]?.stringValue?.contains("offers 1 stream: items") == true, "\(tapCheck.body)")
        let tapDiscover = try await server.call("POST", "/tenants/acme/connections/counter/discover", key: server.keys["acme"])
        let stream = try #require(tapDiscover.json?["streams"]?.arrayValue?.first, "\(tapDiscover.body)")
        #expect(stream["name"] == "items" && stream["primary_key"] == ["id"] && stream["cursor_field"] == ["id"], "\(stream)")

        let preview = try await server.preview("acme", ["version": 1, "name": "peek", "source": ["connection": "mock"],
                                                        "destination": ["connector": "file", "config": ["path": "x.ndjson"]]])
        #expect(preview.status == 200 && preview.json?["source"]?.arrayValue?.count == 5, "\(preview.body)")
        let document: Value = ["version": 1, "name": "mock-items", "source": ["connection": "mock", "incremental": [:]],
                               "destination": ["connector": "file", "config": ["path": "out/items.ndjson", "format": "ndjson"]]]
        let run = try await server.run("acme", document)
        let detail = try await server.finished("acme", run)
        #expect(detail["state"] == "succeeded", "\(detail)")
        #expect(detail["summary"]?["records_read"] == 12, "\(detail)")
        let text = try await server.artifacts("acme", run)
        #expect(!text.contains(HostileServer.secret), "the secret never reaches the run's log or reports")
        #expect(try Self.onramp(["plugins", "remove", "airbyte_mock", "--plugins", plugins]).status == 0)
        #expect(try Self.onramp(["plugins", "remove", "../data", "--plugins", plugins]).status == 1)
    }

    /// The CLI with a plugins directory: the plugin is in `connectors` with its spec, `check` and `discover` reach it,
    /// and `run` reads it incrementally into a file (the second run reads only what is new).
    @Test func theCLISeesAnInstalledPluginLikeABuiltInConnector() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-plugin-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: dir) }
        let plugins = dir.appendingPathComponent("plugins").path
        let mock = Self.repository.appendingPathComponent("Tests/OnrampPluginsTests/Plugins/airbyte_mock").path
        #expect(try Self.onramp(["plugins", "install", mock, "--plugins", plugins]).status == 0)
        let listed = try Self.onramp(["connectors", "--plugins", plugins])
        #expect(listed.status == 0 && listed.output.contains("airbyte_mock"), "\(listed.output)")
        let schema = try Self.onramp(["connectors", "airbyte_mock", "--plugins", plugins])
        #expect(schema.status == 0 && schema.output.contains("\"state_type\""), "\(schema.output)")
        #expect(try Self.onramp(["connectors", "airbyte_mock"]).status == 2, "not a connector without the plugins directory")

        func pipeline(_ count: Int, fail: String = "none") throws -> String {
            let file = dir.appendingPathComponent("items-\(count)-\(fail).yaml").path
            try """
            version: 1
            name: items
            source: {connector: airbyte_mock, config: {stream: items, settings: {count: \(count), fail: \(fail)}}, incremental: {}}
            destination: {connector: file, config: {path: "\(dir.path)/items.ndjson"}}
            """.write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }
        let checked = try Self.onramp(["check", try pipeline(5), "--plugins", plugins])
        #expect(checked.status == 0 && checked.output.contains("items: 5 records"), "\(checked.output)")
        let refused = try Self.onramp(["check", try pipeline(5, fail: "check"), "--plugins", plugins])
        #expect(refused.status == 1 && refused.output.contains("plugin.check_failed"), "\(refused.output)")
        let discovered = try Self.onramp(["discover", try pipeline(5), "--plugins", plugins])
        #expect(discovered.status == 0 && discovered.output.contains("\"other\""), "\(discovered.output)")

        let output = dir.appendingPathComponent("out").path
        let first = try Self.onramp(["run", try pipeline(8), "--plugins", plugins, "--output", output, "--json"])
        #expect(first.status == 0 && first.output.contains("\"records_written\": 8"), "\(first.output)")
        let second = try Self.onramp(["run", try pipeline(11), "--plugins", plugins, "--output", output, "--json"])
        #expect(second.status == 0 && second.output.contains("\"records_read\": 3"), "\(second.output)")
    }

    /// A server that is not root would run every tenant's plugins as its own user (able to read its data directory):
    /// it refuses to start with plugins unless the operator passes `--plugin-user self`. As root, the test runs it as
    /// nobody.
    @Test func aServerThatIsNotRootRefusesPluginsUnlessTold() async throws {
        let dir = URL(fileURLWithPath: "/tmp/onramp-plugin-nonroot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        defer { try? FileManager.default.removeItem(at: dir) }
        let plugins = dir.appendingPathComponent("plugins").path
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        let asNobody = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] : []
        func serve(_ extra: [String], data: String) throws -> ProcessTests.Child {
            try ProcessTests.Child(asNobody + (asNobody.isEmpty ? [] : [ProcessTests.binary]) + ["serve", "--data", dir.appendingPathComponent(data).path,
                                               "--port", "0", "--plugins", plugins] + extra,
                                   env: ["ONRAMP_ADMIN_KEY": ProcessTests.adminKey],
                                   log: dir.appendingPathComponent("\(data).log"), direct: asNobody.isEmpty)
        }
        let refused = try serve([], data: "refused")
        for _ in 0..<300 where refused.process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        refused.stop()
        let log = try String(contentsOf: refused.log, encoding: .utf8)
        #expect(refused.process.terminationStatus != 0)
        #expect(log.contains("plugins would run as its own user") && log.contains("--plugin-user self"), "\(log)")
        let told = try serve(["--plugin-user", "self"], data: "told")
        defer { told.stop() }
        #expect(try await told.port() > 0)
    }

    /// A local wheel (built here, offline: a zip with its metadata and a console script) is installed into a venv of its
    /// own, with its version from the package, and runs as a Singer tap.
    @Test func aLocalWheelIsInstalledIntoItsOwnVenvAndRuns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-plugin-wheel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: dir) }
        let wheel = dir.appendingPathComponent("tap_tiny-1.2.3-py3-none-any.whl").path
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        build.arguments = ["python3", "-c", #"""
        import base64, hashlib, sys, zipfile
        files = {
            "tap_tiny/__init__.py": "import json, sys\ndef main():\n"
                "    if '--discover' in sys.argv:\n"
                "        print(json.dumps({'streams': [{'tap_stream_id': 'rows', 'stream': 'rows', 'key_properties': ['id'], "
                "'schema': {'properties': {'id': {'type': 'integer'}}}, 'metadata': []}]}))\n        return\n"
                "    for m in ({'type': 'SCHEMA', 'stream': 'rows', 'key_properties': ['id'], 'schema': {'properties': "
                "{'id': {'type': 'integer'}}}}, {'type': 'RECORD', 'stream': 'rows', 'record': {'id': 1}}, "
                "{'type': 'RECORD', 'stream': 'rows', 'record': {'id': 2}}, {'type': 'STATE', 'value': {'n': 2}}):\n"
                "        print(json.dumps(m))\n",
            "tap_tiny-1.2.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: tap_tiny\nVersion: 1.2.3\n",
            "tap_tiny-1.2.3.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            "tap_tiny-1.2.3.dist-info/entry_points.txt": "[console_scripts]\ntap-tiny = tap_tiny:main\n",
        }
        record = [f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b'=').decode()},{len(t.encode())}"
                  for n, t in files.items()] + ["tap_tiny-1.2.3.dist-info/RECORD,,"]
        with zipfile.ZipFile(sys.argv[1], "w") as z:
            for n, t in files.items(): z.writestr(n, t)
            z.writestr("tap_tiny-1.2.3.dist-info/RECORD", "\n".join(record) + "\n")
        """#, wheel]
        try build.run()
        build.waitUntilExit()
        #expect(build.terminationStatus == 0)
        let plugins = dir.appendingPathComponent("plugins").path
        let installed = try Self.onramp(["plugins", "install", wheel, "--protocol", "singer", "--plugins", plugins])
        #expect(installed.status == 0 && installed.output.contains("installed tap-tiny 1.2.3 (singer)"), "\(installed.output)")
        #expect(FileManager.default.isExecutableFile(atPath: plugins + "/tap-tiny/venv/bin/tap-tiny"))
        // Only the worker reads a manifest (its env values are not for other plugins' users).
        let mode = try FileManager.default.attributesOfItem(atPath: plugins + "/tap-tiny/plugin.json")[.posixPermissions]
        #expect((mode as? NSNumber)?.intValue == 0o600)
        let file = dir.appendingPathComponent("tiny.yaml").path
        try """
        version: 1
        name: tiny
        source: {connector: tap-tiny, config: {stream: rows}}
        destination: {connector: file, config: {path: "\(dir.path)/rows.ndjson"}}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try Self.onramp(["run", file, "--plugins", plugins, "--output", dir.appendingPathComponent("out").path, "--json"])
        #expect(run.status == 0 && run.output.contains("\"records_written\": 2"), "\(run.output)")
        #expect(try Self.onramp(["plugins", "remove", "tap-tiny", "--plugins", plugins]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: plugins + "/tap-tiny"))
    }

    /// The PyPI Airbyte source scripts/plugins-test.sh installed (ONRAMP_TEST_PLUGINS), through the API.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ONRAMP_TEST_PLUGINS"] != nil))
    func aPyPIPluginIsCheckedAndDiscoveredThroughTheAPI() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-pypi-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: dir) }
        let plugins = ProcessInfo.processInfo.environment["ONRAMP_TEST_PLUGINS"]!
        // The CDK takes a few seconds to import on a loaded machine: more than a preview's default 10 s may be needed.
        var server = try await HostileServer.start(dir, ["--plugins", plugins, "--preview-seconds", "60"])
        defer { server.child.stop() }
        try await server.setUp()
        let catalog = try await server.call("GET", "/connectors", key: server.keys["acme"])
        let faker = try #require(catalog.json?["connectors"]?.arrayValue?.first { $0["name"] == "source-faker" })
        #expect(faker["config_schema"]?["properties"]?["settings"]?["properties"]?["count"]?["type"] == "integer",
                "faker's own spec is the settings form")
        #expect(try await server.call("PUT", "/tenants/acme/connections/faker", key: server.keys["acme"],
                                      json: ["connector": "source-faker", "config": ["settings": ["count": 10, "seed": 1]]]).status == 200)
        let check = try await server.call("POST", "/tenants/acme/connections/faker/check", key: server.keys["acme"])
        #expect(check.json?["ok"] == true, "\(check.body)")
        let discover = try await server.call("POST", "/tenants/acme/connections/faker/discover", key: server.keys["acme"])
        #expect(discover.json?["streams"]?.arrayValue?.compactMap { $0["name"]?.stringValue }.sorted()
                == ["products", "purchases", "users"], "\(discover.body)")
    }
}
