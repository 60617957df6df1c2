import OnrampConnectorKit
import OnrampCore
@testable import OnrampPlugins
import Testing

/// The pure parts: line splitting, when states commit, how a plugin is launched, manifests.
@Suite struct PluginsUnitTests {
    @Test func linesSplitAcrossChunksAndALongLineIsReportedNotKept() {
        var s = LineSplitter(maxBytes: 8)
        #expect(s.feed(Array("ab".utf8)) == [])
        #expect(s.feed(Array("c\r\nde\nxxxxxxx".utf8)) == [.text(Array("abc".utf8), number: 1), .text(Array("de".utf8), number: 2)])
        #expect(s.feed(Array("xxxx\nok".utf8)) == [.tooLong(bytes: 11, number: 3)])
        #expect(s.finish() == .text(Array("ok".utf8), number: 4))
        #expect(s.finish() == nil)
    }

    static func record(_ id: Int) -> Record { Record(["id": .number(Double(id))]) }

    @Test func aStateCommitsOnlyWithTheBatchThatEndsAtTheNextStateOrACleanEnd() {
        var b = StateBatcher(batchSize: 100, incremental: true)
        for i in 1...3 { #expect(b.record(Self.record(i)) == nil) }
        #expect(b.state("s1") == nil, "nothing to commit yet: s1 waits for what follows it")
        for i in 4...5 { #expect(b.record(Self.record(i)) == nil) }
        let batch = b.state("s2")
        #expect(batch?.records.count == 5 && batch?.checkpoint == "s1")
        _ = b.record(Self.record(6))
        let last = b.finish(clean: true)
        #expect(last?.records.count == 1 && last?.checkpoint == "s2")
    }

    @Test func aFailedPluginNeverHasItsLastStateCommitted() {
        var b = StateBatcher(batchSize: 100, incremental: true)
        _ = b.state("before its records")   // a tap that prints its state first
        for i in 1...10 { _ = b.record(Self.record(i)) }
        let last = b.finish(clean: false)
        #expect(last?.records.count == 10 && last?.checkpoint == nil, "the records are delivered, the state is not committed")
    }

    @Test func onrampProtocolCheckpointsCommitWithTheRecordsBeforeThem() {
        var b = StateBatcher(batchSize: 100, incremental: true, rule: .direct)
        for i in 1...3 { _ = b.record(Self.record(i)) }
        let batch = b.state("c1")
        #expect(batch?.records.count == 3 && batch?.checkpoint == "c1")
        _ = b.record(Self.record(4))
        #expect(b.finish(clean: false)?.checkpoint == nil)
    }

    @Test func fullBatchesCarryNoStateAndAFullLoadCommitsNone() {
        var b = StateBatcher(batchSize: 2, incremental: true)
        _ = b.record(Self.record(1))
        #expect(b.record(Self.record(2))?.checkpoint == nil)
        var full = StateBatcher(batchSize: 10, incremental: false)
        _ = full.record(Self.record(1))
        #expect(full.state("s") == nil)
        #expect(full.finish(clean: true)?.checkpoint == nil)
    }

    @Test func theLaunchSandboxesTheProgramAndPassesOnlyTheManifestsEnvironment() {
        var m = PluginManifest(name: "tap", protocol: .singer, command: "venv/bin/tap-x", args: ["--verbose"],
                               env: ["TZ": "UTC", "NOTE": "it's"], network: false)
        m.limits.memoryMb = 256
        let l = PluginLaunch.make(manifest: m, directory: "/p/tap", arguments: ["--config", "/w/config.json"],
                                  workingDirectory: "/w", runAs: PluginLaunch.RunAs(uid: 2_100_000_007, gid: 65534), hostIsRoot: true)
        #expect([l.executable] + Array(l.arguments.prefix(17)) == [
            "/usr/bin/setpriv", "--pdeathsig", "KILL", "--", "/usr/bin/unshare", "--pid", "--fork", "--kill-child", "--net", "--",
            "/usr/bin/setpriv", "--reuid=2100000007", "--regid=65534", "--clear-groups", "--pdeathsig", "KILL", "--", "/bin/sh"])
        #expect(l.arguments.suffix(4) == ["/p/tap/venv/bin/tap-x", "--verbose", "--config", "/w/config.json"])
        let script = l.arguments[l.arguments.firstIndex(of: "-c")! + 1]
        #expect(script.contains("ulimit -v 262144") && script.contains("ulimit -u 1024") && script.contains(". ./plugin.env"))
        #expect(!l.arguments.contains { $0.contains("UTC") }, "no value of the environment in a command line")
        #expect(Set(l.environment.keys) == ["TZ", "NOTE", "PATH", "HOME", "TMPDIR", "LANG", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"])
        #expect(l.environment["HOME"] == "/w" && l.environment["PATH"]?.hasPrefix("/p/tap/venv/bin:") == true)
        #expect(l.environmentFileText.contains("NOTE='it'\\''s'\n"), "single quotes survive the shell")
        #expect(PluginLaunch.wrapperEnvironment == ["PATH": "/usr/bin:/bin"], "the wrappers see nothing of the manifest")
        let open = PluginLaunch.make(manifest: PluginManifest(name: "o", protocol: .onramp, command: "/opt/o"), directory: "/p/o",
                                     arguments: [], workingDirectory: "/w", runAs: nil, hostIsRoot: false)
        #expect(open.arguments.contains("--map-current-user") && !open.arguments.contains { $0.hasPrefix("--reuid") })
        #expect(!open.arguments.contains("--net"))
    }

    @Test func secretsInsideOneOfBranchesAreFound() {
        let schema: Value = ["type": "object", "properties": [
            "credentials": ["type": "object", "oneOf": [
                ["properties": ["auth_type": ["const": "oauth"], "client_secret": ["type": "string", "airbyte_secret": true]]],
                ["properties": ["auth_type": ["const": "key"], "api_key": ["type": "string", "airbyte_secret": true]]],
            ]]]]
        let config: Value = ["credentials": ["auth_type": "key", "api_key": "APIKEYSECRET2"]]
        #expect(PluginSourceConfig.secrets(in: config, schema: schema) == ["APIKEYSECRET2"])
        #expect(JSONSchema.isSecret(JSONSchema.property("api_key", of: schema["properties"]?["credentials"])))
    }

    @Test func aManifestErrorNamesTheFieldAndDefaultsFillTheRest() throws {
        let m = try PluginManifest(["name": "faker", "protocol": "airbyte", "command": "venv/bin/source-faker",
                                    "limits": ["idle_seconds": 5]], at: "plugin.json")
        #expect(m.limits.idleSeconds == 5 && m.limits.memoryMb == 2048 && m.network && m.version == "0")
        #expect(throws: OnrampError.self) { try PluginManifest(["name": "x", "protocol": "soap", "command": "c"], at: "p") }
        do {
            _ = try PluginManifest(["name": "x", "protocol": "singer", "command": "c", "limits": ["memory_gb": 1]], at: "p")
            Issue.record("an unknown limit was accepted")
        } catch let e as OnrampError { #expect(e.location == "p.limits.memory_gb") }
        do {
            _ = try PluginManifest(["name": "../etc", "protocol": "singer", "command": "c"], at: "p")
            Issue.record("a path as a name was accepted")
        } catch let e as OnrampError { #expect(e.location == "p.name") }
        do {
            _ = try PluginManifest(["name": "x", "protocol": "singer", "command": "c", "env": ["A": 1]], at: "p")
            Issue.record("a number in env was accepted")
        } catch let e as OnrampError { #expect(e.location == "p.env.A") }
        let back = try PluginManifest(m.value, at: "again")
        #expect(back == m)
    }

    @Test func packageNamesAndAirbyteSecrets() {
        #expect(PluginInstaller.packageName("airbyte-source-faker==6.2.1") == "airbyte-source-faker")
        #expect(PluginInstaller.packageName("dist/tap_csv-1.2.0-py3-none-any.whl") == "tap-csv")
        let schema: Value = ["type": "object", "properties": ["key": ["type": "string", "airbyte_secret": true],
                                                              "nested": ["type": "object", "properties": ["p": ["type": "string", "airbyte_secret": true]]]]]
        let marked = PluginInstaller.markSecrets(schema)
        #expect(marked["properties"]?["key"]?["x-secret"] == true && marked["properties"]?["nested"]?["properties"]?["p"]?["x-secret"] == true)
        #expect(PluginSourceConfig.secrets(in: ["key": "s3cr3t", "nested": ["p": "hunter2"], "count": 3], schema: schema).sorted()
                == ["hunter2", "s3cr3t"])
    }

    @Test func messagesKeepEveryDigitAndBadLinesNameTheirLine() {
        guard case .message(let m) = PluginMessage.parse(.text(Array(#"{"type":"RECORD","record":{"a":12345678901234567890,"b":19.99,"c":0.1000000000000000055}}"#.utf8), number: 1)) else {
            Issue.record("not parsed")
            return
        }
        #expect(m["record"]?["a"] == "12345678901234567890" && m["record"]?["b"] == 19.99 && m["record"]?["c"] == "0.1000000000000000055")
        guard case .bad(let e) = PluginMessage.parse(.text(Array("[1,2]".utf8), number: 7)) else { Issue.record("accepted"); return }
        #expect(e.code == "plugin.bad_message" && e.position.line == 7 && e.stage == .extract)
        guard case .bad(let long) = PluginMessage.parse(.tooLong(bytes: 5_000_000, number: 9)) else { Issue.record("accepted"); return }
        #expect(long.code == "plugin.line_too_long" && long.position.line == 9)
    }
}
