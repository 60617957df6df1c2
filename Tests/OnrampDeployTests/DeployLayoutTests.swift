import Foundation
import OnrampCore
import OnrampDeploy
import Testing

@Suite struct DeployLayoutTests {
    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deploy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static let state = DeployState(
        pipelines: [
            "orders": [
                "version": 1, "name": "orders", "source": ["connection": "erp"],
                "steps": [["map": "{\n  \"id\": id\n}"]],
                "destination": ["connector": "taxman", "config": ["api_key": "${secret:TAXMAN_KEY}"]],
            ]
        ],
        connections: [
            "erp": ConnectionDefinition(
                name: "erp", connector: "csv", config: ["path": "orders.csv", "delimiter": ";"])
        ],
        templates: [
            "starter": TemplateDefinition(
                name: "starter", description: "a: b", document: ["version": 1, "name": "${param:NAME}"])
        ],
        schedules: [
            "orders": [
                ScheduleDefinition(id: "2", cron: "0 7 * * *", timezone: "Europe/Berlin", enabled: false),
                ScheduleDefinition(id: "1", cron: "0 6 * * mon-fri", timezone: "America/New_York"),
            ]
        ])

    @Test func aStateWrittenAndReadBackIsTheSameAndASecondWriteIsByteIdentical() throws {
        let dir = try Self.temporaryDirectory()
        let files = try DeployLayout.files(Self.state)
        #expect(
            files.keys.sorted() == [
                "connections/erp.yaml", "pipelines/orders.yaml", "schedules/orders.yaml", "templates/starter.yaml",
            ])
        try DeployLayout.write(files, to: dir, removeStale: true)
        let read = try DeployLayout.read(dir)
        #expect(read == Self.state)
        #expect(read.origins["pipeline orders"] == "pipelines/orders.yaml")
        #expect(try DeployLayout.files(read) == files)
        #expect(
            files["schedules/orders.yaml"] == """
                pipeline: orders
                schedules:
                - cron: "0 6 * * mon-fri"
                  timezone: America/New_York
                  enabled: true
                - cron: "0 7 * * *"
                  timezone: Europe/Berlin
                  enabled: false

                """)
        #expect(files["pipelines/orders.yaml"]?.contains("api_key: \"${secret:TAXMAN_KEY}\"") == true)
    }

    @Test func aFullWriteRemovesStaleFilesOfTheLayoutOnly() throws {
        let dir = try Self.temporaryDirectory()
        try DeployLayout.write(try DeployLayout.files(Self.state), to: dir, removeStale: true)
        try "x".write(toFile: dir + "/pipelines/README.md", atomically: true, encoding: .utf8)
        try "cases: []\n".write(toFile: dir + "/pipelines/orders.tests.yaml", atomically: true, encoding: .utf8)
        let removed = try DeployLayout.write(
            ["pipelines/orders.yaml": "version: 1\nname: orders\n"], to: dir, removeStale: true)
        #expect(removed == ["connections/erp.yaml", "templates/starter.yaml", "schedules/orders.yaml"])
        #expect(FileManager.default.fileExists(atPath: dir + "/pipelines/README.md"))
        #expect(FileManager.default.fileExists(atPath: dir + "/pipelines/orders.tests.yaml"))
        #expect(try DeployLayout.read(dir).pipelines.keys.sorted() == ["orders"])
    }

    @Test(arguments: ["../../etc/passwd", "..", ".", ".hidden", "a/b", "a\\b", "/abs", "ünï", "nul\u{0}", "%2e%2e", "x.tests"])
    func aHostileNameIsAFileInsideItsFolder(_ name: String) throws {
        let file = DeployLayout.fileName(name)
        #expect(!file.contains("/") && !file.contains("\\") && !file.hasPrefix(".") && file.hasSuffix(".yaml"))
        let dir = try Self.temporaryDirectory()
        let state = DeployState(pipelines: [name: ["version": 1, "name": .string(name)]])
        let files = try DeployLayout.files(state)
        try DeployLayout.write(files, to: dir, removeStale: true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/pipelines") == [file])
        #expect(try DeployLayout.read(dir).pipelines[name] == state.pipelines[name])
    }

    @Test func distinctNamesGetDistinctFiles() {
        let names = ["a.b", "a%2Eb", "A", "a", "a b", "a_b", "a-b", "%", "", "%25", "x.tests", "x%2Etests"]
        #expect(Set(names.map(DeployLayout.fileName)).count == names.count)
    }

    @Test func aSymbolicLinkWhereAFileGoesIsReplacedNotFollowed() throws {
        let dir = try Self.temporaryDirectory()
        let outside = try Self.temporaryDirectory() + "/victim"
        try "keep me".write(toFile: outside, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/pipelines", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/pipelines/orders.yaml", withDestinationPath: outside)
        try DeployLayout.write(["pipelines/orders.yaml": "version: 1\nname: orders\n"], to: dir, removeStale: false)
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == "keep me")
        #expect(
            try String(contentsOfFile: dir + "/pipelines/orders.yaml", encoding: .utf8) == "version: 1\nname: orders\n")
    }

    @Test func aFolderThatIsASymbolicLinkIsRefused() throws {
        let dir = try Self.temporaryDirectory()
        let elsewhere = try Self.temporaryDirectory()
        try FileManager.default.createSymbolicLink(atPath: dir + "/pipelines", withDestinationPath: elsewhere)
        #expect(throws: OnrampError.self) {
            try DeployLayout.write(["pipelines/x.yaml": "x: 1\n"], to: dir, removeStale: false)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
    }

    @Test func badFilesAreErrorsNamingTheFileAndTheKey() throws {
        let cases: [(String, String, String)] = [
            ("connections/erp.yaml", "name: erp\nconnector: csv\nconfg: {}\n", "connections/erp.yaml: confg"),
            ("pipelines/p.yaml", "version: 1\n", "pipelines/p.yaml: name"),
            ("schedules/p.yaml", "pipeline: p\nschedules:\n- cron: 1\n", "schedules/p.yaml: schedules[0]: cron"),
            (
                "schedules/q.yaml", "pipeline: q\nschedules:\n- {cron: x, enabled: maybe}\n",
                "schedules/q.yaml: schedules[0].enabled"
            ),
            ("templates/t.yaml", "name: t\n", "templates/t.yaml: document"),
        ]
        for (file, text, location) in cases {
            let dir = try Self.temporaryDirectory()
            try FileManager.default.createDirectory(
                atPath: dir + "/" + file.split(separator: "/")[0], withIntermediateDirectories: true)
            try text.write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
            let e = #expect(throws: OnrampError.self) { try DeployLayout.read(dir) }
            #expect(e?.location == location)
        }
    }

    @Test func twoFilesNamingOnePipelineAreAnError() throws {
        let dir = try Self.temporaryDirectory()
        try DeployLayout.write(
            ["pipelines/a.yaml": "version: 1\nname: same\n", "pipelines/b.yaml": "version: 1\nname: same\n"],
            to: dir, removeStale: false)
        let e = #expect(throws: OnrampError.self) { try DeployLayout.read(dir) }
        #expect(e?.code == "deploy.duplicate" && e?.location == "pipelines/b.yaml")
    }
}
