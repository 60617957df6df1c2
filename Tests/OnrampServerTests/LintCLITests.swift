import Foundation
import OnrampCore
import Testing

/// `onramp lint` as a process: every problem of every file, exit codes, JSON, `--discover`; and a CLI run that says
/// a CSV export lost and gained a column since the last successful run.
@Suite struct LintCLITests {
    static func lint(_ args: [String], in dir: URL, env: [String: String] = [:]) async throws -> CommandRunner.Result {
        try await CommandRunner.run(ProcessTests.binary, ["lint"] + args, directory: dir, env: env)
    }

    @Test func lintReportsEveryProblemOfEveryFileAndExitsByTheWorst() async throws {
        guard CLITests.available else { return }
        let dir = try CLITests.temporaryDirectory("lint")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "OrderNo,Amount\n1,2\n".write(to: dir.appendingPathComponent("in/o.csv"), atomically: true, encoding: .utf8)
        let good = """
            version: 1
            name: good
            source: {connector: csv, config: {path: in/o.csv}}
            steps:
              - map: '{"id": OrderNo, "amount": $number(Amount)}'
            destination: {connector: file, config: {path: out/o.ndjson}}
            """
        try good.write(to: dir.appendingPathComponent("good.yaml"), atomically: true, encoding: .utf8)
        try good.replacingOccurrences(of: "name: good", with: "name: bad\nbatchsize: 5")
            .replacingOccurrences(of: "$number(Amount)}", with: "$number(Amount}")
            .write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        try good.replacingOccurrences(of: "OrderNo", with: "OrderNum")
            .write(to: dir.appendingPathComponent("drifted.yaml"), atomically: true, encoding: .utf8)

        let clean = try await Self.lint(["good.yaml"], in: dir)
        #expect(clean.status == 0 && clean.stdout.contains("1 file: 0 errors, 0 warnings"), "\(clean.stdout)\(clean.stderr)")

        let bad = try await Self.lint(["good.yaml", "bad.yaml"], in: dir)
        #expect(bad.status == 2, "\(bad.stdout)")
        #expect(bad.stdout.contains("bad.yaml:3:1: error [spec.unknown_key] batchsize:"), "\(bad.stdout)")
        #expect(bad.stdout.contains("hint: did you mean batch_size?"))
        #expect(bad.stdout.contains("bad.yaml:6:") && bad.stdout.contains("[expr."), "\(bad.stdout)")
        #expect(bad.stdout.contains("2 files: 2 errors, 0 warnings"), "\(bad.stdout)")

        let json = try await Self.lint(["bad.yaml", "--json"], in: dir)
        let problems = try #require(try JSONParser.parse(json.stdout)["files"]?.arrayValue?.first?["problems"]?.arrayValue)
        #expect(problems.count == 2 && problems[0]["line"] == .number(3) && problems[0]["hint"] == "did you mean batch_size?")

        // Without --discover fields are not checked; with it, a field the CSV does not have is a warning.
        #expect(try await Self.lint(["drifted.yaml"], in: dir).status == 0)
        let discovered = try await Self.lint(["drifted.yaml", "--discover"], in: dir)
        #expect(discovered.status == 0 && discovered.stdout.contains("warning [lint.unknown_field]"), "\(discovered.stdout)")
        #expect(discovered.stdout.contains("hint: did you mean OrderNo?"))
        #expect(try await Self.lint(["drifted.yaml", "--discover", "--strict"], in: dir).status == 1)
        #expect(try await Self.lint(["missing.yaml"], in: dir).status == 2)
    }

    @Test func theShippedExamplesLintClean() async throws {
        guard CLITests.available else { return }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let r = try await Self.lint(["examples/acme-orders.yaml"], in: root,
                                    env: ["ACME_EXPORT_DIR": "/tmp", "TAXMAN_URL": "http://127.0.0.1:1", "TAXMAN_API_KEY": "k"])
        #expect(r.status == 0 && r.stdout.contains("0 errors, 0 warnings"), "\(r.stdout)\(r.stderr)")
    }

    @Test func aRunSaysWhenTheExportLostAndGainedAColumn() async throws {
        guard CLITests.available else { return }
        let dir = try CLITests.temporaryDirectory("drift")
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
            version: 1
            name: drift
            source: {connector: csv, config: {path: in/o.csv}}
            destination: {connector: file, config: {path: out/o.ndjson}}
            """.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        func run(_ csv: String) async throws -> CommandRunner.Result {
            try csv.write(to: dir.appendingPathComponent("in/o.csv"), atomically: true, encoding: .utf8)
            return try await CommandRunner.run(ProcessTests.binary, ["run", "p.yaml", "--output", "runs"], directory: dir)
        }
        let first = try await run("id,amount,note\n1,2,a\n")
        #expect(first.status == 0 && !first.stdout.contains("schema drift"), "\(first.stdout)\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/state/drift.schema.json").path))
        let second = try await run("id,amount,region\n2,3,x\n")
        #expect(second.status == 0)
        #expect(second.stdout.contains("schema drift since the last successful run: fields appeared: region; disappeared: note"),
                "\(second.stdout)")
    }
}
