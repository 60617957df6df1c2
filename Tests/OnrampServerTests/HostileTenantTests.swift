import Foundation
import OnrampCore
import Testing

/// Issue #9's attacks, made by a hostile tenant against a real `onramp serve`: each asserts that
/// nothing leaked, nothing outside the tenant's area changed, and the server still answers.
@Suite(.serialized) struct HostileTenantTests {
    typealias S = HostileServer

    static func available() -> Bool {
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build): \(ProcessTests.binary)")
            return false
        }
        return true
    }

    /// `${env:…}` and `${secret:…}` wherever a tenant writes, file sources and destinations that
    /// leave the area, an oversized upload; then the server restarts on the same data directory.
    @Test func placeholdersPathsAndUploadsReachNothingOutsideTheTenant() async throws {
        guard Self.available() else { return }
        let dir = try S.temporaryDirectory("hostile-files")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
        try key.write(to: data.appendingPathComponent("master.key"))
        try S.write("id,name\n1,\(S.outside)\n", to: data.appendingPathComponent("outside.csv"))
        let area = data.appendingPathComponent("tenants/acme/files")
        try S.write("id,name\n1,alice\n", to: area.appendingPathComponent("in/ok.csv"))
        try S.write("id,token\n1,\(S.secret)\n2,plain\n", to: area.appendingPathComponent("in/secret.csv"))
        try S.write("id,name\n1,bob\n", to: area.appendingPathComponent("glob/a.csv"))
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: area.path + "/in/link.csv", withDestinationPath: data.path + "/outside.csv")
        try fm.createSymbolicLink(atPath: area.path + "/in/key.csv", withDestinationPath: data.path + "/master.key")
        try fm.createSymbolicLink(atPath: area.path + "/glob/b.csv", withDestinationPath: data.path + "/outside.csv")
        try fm.createSymbolicLink(atPath: area.path + "/up", withDestinationPath: data.path)

        var s = try await S.start(dir, ["--expose-env", "ONRAMP_HOSTILE_EXPOSED", "--max-upload-bytes", "1000"])
        defer { s.child.stop() }
        try await s.setUp()
        let acme = try #require(s.keys["acme"])
        #expect(try await s.call("PUT", "/tenants/acme/secrets/TOKEN", key: acme, json: ["value": .string(S.secret)]).status == 200)
        let ok = S.csv("in/ok.csv")
        let fileOut: Value = ["connector": "file", "config": ["path": "results/x.ndjson"]]

        // 1. The server's environment: refused with the field named wherever it is written.
        let envAttacks: [(Value, String)] = [
            (S.pipeline("e1", source: ok, steps: [["set": ["x": "\"${env:ONRAMP_ADMIN_KEY}\""]]], destination: fileOut),
             "steps[0].set.x"),
            (S.pipeline("e2", source: ok, steps: [["filter": "name = \"${env:ONRAMP_HOSTILE_HIDDEN}\""]], destination: fileOut),
             "steps[0].filter"),
            (S.pipeline("e3", source: S.csv("${env:ONRAMP_HOSTILE_HIDDEN}"), destination: fileOut), "source.config.path"),
            (S.pipeline("e4", source: ok, destination: ["connector": "file", "config": ["path": "${env:HOME}"]]),
             "destination.config.path"),
            (["version": 1, "name": "e5", "source": ok, "destination": fileOut,
              "notify": ["url": "http://127.0.0.1:9/${env:ONRAMP_ADMIN_KEY}", "secret": "x"]], "notify.url"),
        ]
        for (document, field) in envAttacks {
            let saved = try await s.call("POST", "/tenants/acme/pipelines", key: S.admin, json: document)
            #expect(saved.status == 422 && saved.code == "spec.env" && saved.field == field, "\(field): \(saved.body)")
            let previewed = try await s.preview("acme", document)
            #expect(previewed.status == 422 && previewed.code == "spec.env" && previewed.field == field, "\(previewed.body)")
            let validated = try await s.call("POST", "/validate", key: acme, json: document)
            #expect(validated.json?["valid"] == false && validated.json?["error"]?["field"]?.stringValue == field)
            for reply in [saved, previewed, validated] { s.expectNoLeak(reply.body, "env attack on \(field)") }
        }
        let connection = try await s.call("PUT", "/tenants/acme/connections/c", key: acme,
                                          json: ["connector": "csv", "config": ["path": "${env:ONRAMP_HOSTILE_HIDDEN}"]])
        #expect(connection.status == 422 && connection.code == "spec.env" && connection.field == "config.path", "\(connection.body)")
        let template: Value = ["document": ["version": 1, "name": "t", "source": S.csv("${param:P}"), "destination": fileOut]]
        #expect(try await s.call("PUT", "/templates/t", key: S.admin, json: template).status == 200)
        for (parameter, code) in [("${env:ONRAMP_HOSTILE_HIDDEN}", "spec.env"), ("/etc/passwd", "file.outside"),
                                  ("../../../master.key", "file.outside")] {
            let onboarded = try await s.call("POST", "/tenants/acme/templates/t/pipelines", key: acme,
                                             json: ["name": "x", "parameters": ["P": .string(parameter)]])
            #expect(onboarded.status == 422 && onboarded.code == code && onboarded.field == "source.config.path",
                    "\(parameter): \(onboarded.body)")
            s.expectNoLeak(onboarded.body, "template parameter \(parameter)")
        }
        let readsExposed: Value = [["set": ["x": "\"${env:ONRAMP_HOSTILE_EXPOSED}\""]]]
        let exposed = try await s.preview("acme", S.pipeline("ok", source: ok, steps: readsExposed, destination: fileOut))
        #expect(exposed.status == 200 && exposed.body.contains(S.exposedEnv.values.first!), "\(exposed.body)")

        // 2. Secrets: not in a step; a secret value in the data is redacted from every answer and artifact.
        let inStep = S.pipeline("s1", source: ok, steps: [["set": ["x": "\"${secret:TOKEN}\""]]], destination: fileOut)
        let savedInStep = try await s.call("POST", "/tenants/acme/pipelines", key: S.admin, json: inStep)
        for reply in [try await s.preview("acme", inStep), savedInStep] {
            #expect(reply.status == 422 && reply.code == "spec.secret_placement" && reply.field == "steps[0].set.x", "\(reply.body)")
            s.expectNoLeak(reply.body, "secret in a step")
        }
        let leaky = S.pipeline("leaky", source: S.csv("in/secret.csv"),
                               steps: [["map": "token = \"plain\" ? {\"id\": id} : $error(\"no good: \" & token)"]],
                               destination: fileOut)
        let shown = try await s.preview("acme", S.pipeline("shown", source: S.csv("in/secret.csv"), destination: fileOut))
        #expect(shown.status == 200 && shown.body.contains("***"), "\(shown.body)")
        s.expectNoLeak(shown.body, "preview of data holding the secret")
        let failing = try await s.preview("acme", leaky)
        #expect(failing.status == 200 && failing.body.contains("no good: ***"), "\(failing.body)")
        s.expectNoLeak(failing.body, "preview errors holding the secret")
        let leakyRun = try await s.run("acme", leaky)
        let ended = try await s.finished("acme", leakyRun)
        #expect(ended["state"] == "succeeded_with_errors", "\(ended)")
        let reports = try await s.artifacts("acme", leakyRun)
        #expect(reports.contains("no good: ***"), "\(reports.prefix(600))")
        s.expectNoLeak(reports, "run log and error report")

        // 3. Sources that leave the area: refused with the field named, no byte of what is outside.
        var before = s.snapshot()
        // The server moved master.key into its keyring: in/key.csv now dangles, which is refused too.
        let keyFile = try #require(S.masterKeyFile(data))
        #expect(keyFile.contains("/keys/"))
        let escapes = ["/etc/passwd", keyFile, data.path + "/master.key", data.path + "/outside.csv", "../../../master.key",
                       "../../../keys/" + (keyFile as NSString).lastPathComponent,
                       "../../../outside.csv", "in/../../../../outside.csv", "in/link.csv", "in/key.csv", "glob/*.csv",
                       "*/*.csv", "up/outside.csv"]
        for connector in ["csv", "ndjson", "json"] {
            for path in escapes {
                let source: Value = ["connector": .string(connector), "config": ["path": .string(path)]]
                let reply = try await s.preview("acme", S.pipeline("p", source: source, destination: fileOut))
                #expect(reply.status == 422 && reply.code == "file.outside" && reply.field == "source.config.path",
                        "\(connector) \(path): \(reply.body)")
                s.expectNoLeak(reply.body, "\(connector) source \(path)")
            }
        }
        #expect(s.snapshot() == before, "files changed: \(Set(s.snapshot().keys).symmetricDifference(before.keys))")
        let globRun = try await s.run("acme", S.pipeline("glob", source: S.csv("glob/*.csv"), destination: fileOut))
        let globEnded = try await s.finished("acme", globRun)
        #expect(globEnded["state"] == "failed", "\(globEnded)")
        #expect(globEnded["summary"]?["failure_reason"]?.stringValue?.contains("file.outside") == true, "\(globEnded)")
        s.expectNoLeak(try await s.artifacts("acme", globRun), "a run reading a glob over a link out")
        s.expectNoLeak(try String(contentsOf: dir.appendingPathComponent("serve.log"), encoding: .utf8), "the server's log")

        // 4. Destinations at the server's own files: validation and preview create and truncate nothing.
        // (`/validate` has no tenant: the links exist only in acme's area, so only the preview can follow them.)
        before = s.snapshot()
        let targets = ["../../onramp.sqlite", "../../../onramp.sqlite", "../../../master.key", "../../../keys/new.key",
                       data.path + "/master.key", data.path + "/onramp.sqlite"]
        let links = ["in/link.csv", "up/master.key", "up/onramp.sqlite"]
        let inside = ["master.key", "onramp.sqlite", "new/master.key"]
        for path in targets + links + inside {
            let document = S.pipeline("d", source: ok, destination: ["connector": "file", "config": ["path": .string(path)]])
            let validated = try await s.call("POST", "/validate", key: acme, json: document)
            let previewed = try await s.preview("acme", document)
            if targets.contains(path) {
                #expect(validated.json?["valid"] == false && validated.json?["error"]?["code"] == "file.outside",
                        "\(path): \(validated.body)")
            }
            if !inside.contains(path) {
                #expect(previewed.status == 422 && previewed.code == "file.outside" && previewed.field == "destination.config.path",
                        "\(path): \(previewed.body)")
            } else {
                #expect(validated.json?["valid"] == true, "\(path): \(validated.body)")
                #expect(previewed.status == 200, "\(path): \(previewed.body)")
            }
        }

        // 10. An upload over --max-upload-bytes: 413, and nothing of it is kept.
        let big = try await s.call("PUT", "/tenants/acme/files/in/big.csv", key: acme, raw: Data(repeating: 0x41, count: 5000))
        #expect(big.status == 413 && big.code == "too_large", "\(big.body)")
        #expect(try await s.call("GET", "/tenants/acme/files/in/big.csv", key: acme).status == 404)
        #expect(try await s.call("GET", "/tenants/acme/files?prefix=in", key: acme).body.contains("big.csv") == false)
        #expect(s.snapshot() == before, "files changed: \(Set(s.snapshot().keys).symmetricDifference(before.keys))")
        let small = try await s.call("PUT", "/tenants/acme/files/in/small.csv", key: acme, raw: Data(repeating: 0x41, count: 999))
        #expect(small.status == 201 || small.status == 200, "\(small.body)")

        // The server stops on SIGTERM and starts again on the same data directory, keys intact.
        try await s.restart()
        #expect(try await s.call("GET", s.base + "/readyz", key: nil).status == 200)
        #expect(try await s.call("GET", "/tenants/acme/runs/\(leakyRun)", key: acme).json?["state"] == "succeeded_with_errors")
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyFile)) == key)
        #expect(try String(contentsOf: data.appendingPathComponent("outside.csv"), encoding: .utf8) == "id,name\n1,\(S.outside)\n")
    }
}
