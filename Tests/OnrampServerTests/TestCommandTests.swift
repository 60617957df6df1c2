import Foundation
import OnrampCore
import Testing

/// `onramp test` as CI runs it: a real process, its exit codes, the diff of a failing case, JUnit XML read by a real
/// XML parser, and the documented example run as it is.
@Suite struct TestCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func write(_ dir: URL, failing: Bool) throws {
        try """
            version: 1
            name: orders
            source: {connector: csv, config: {path: "${env:EXPORTS}/*.csv", delimiter: ";"}}
            steps:
              - name: typed
                set: {amount: '$parseDecimal(amount, ",")', city: '$trim(city)'}
            destination: {connector: file, config: {path: out.ndjson}}
            """.write(to: dir.appendingPathComponent("orders.yaml"), atomically: true, encoding: .utf8)
        try "id;city;amount\n1; Ulm ;1,50\n2;Bonn;2,25\n".write(to: dir.appendingPathComponent("in/sample.csv"),
                                                                 atomically: true, encoding: .utf8)
        try """
            pipeline: orders.yaml
            env: {EXPORTS: in}
            cases:
              - name: amounts get their decimal commas read
                input: {file: in/sample.csv}
                expect:
                  output:
                    - {id: "1", city: Ulm, amount: 1.5}
                    - {id: "2", city: Bonn, amount: \(failing ? "2.5" : "2.25")}
              - name: cities <trimmed> & checked
                input: {records: [{id: "3", city: " Jena", amount: "7"}]}
                expect: {each: city = "Jena"}
            """.write(to: dir.appendingPathComponent("orders.tests.yaml"), atomically: true, encoding: .utf8)
    }

    /// The JUnit report as Python's XML parser reads it: per suite and case, tests/failures/errors and failure texts.
    static func parseJUnit(_ path: URL) async throws -> Value {
        let script = """
            import json, sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            out = {"tag": root.tag, "tests": root.get("tests"), "failures": root.get("failures"), "errors": root.get("errors"),
                   "suites": [{"name": s.get("name"), "tests": s.get("tests"), "failures": s.get("failures"),
                               "cases": [{"name": c.get("name"), "failure": (c.find("failure").text if c.find("failure") is not None else None),
                                          "error": (c.find("error").get("message") if c.find("error") is not None else None)}
                                         for c in s.findall("testcase")]} for s in root.findall("testsuite")]}
            print(json.dumps(out))
            """
        let r = try await CommandRunner.run("/usr/bin/python3", ["-c", script, path.path], directory: path.deletingLastPathComponent())
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONParser.parse(r.stdout)
    }

    @Test func aPassingTestExitsZeroAndAFailingOneExitsOneWithItsDiffAndJUnitXML() async throws {
        guard CLITests.available else { return }
        let dir = try CLITests.temporaryDirectory("test-cmd")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.write(dir, failing: false)
        let pass = try await CommandRunner.run(ProcessTests.binary, ["test", "orders.yaml", "--junit", "pass.xml"], directory: dir)
        #expect(pass.status == 0, "\(pass.stdout)\n\(pass.stderr)")
        #expect(pass.stdout.contains("PASS orders.tests.yaml › amounts get their decimal commas read"), "\(pass.stdout)")
        #expect(pass.stdout.contains("2 passed, 0 failed (1 test files)"), "\(pass.stdout)")
        let passed = try await Self.parseJUnit(dir.appendingPathComponent("pass.xml"))
        #expect(passed["tests"] == "2" && passed["failures"] == "0" && passed["errors"] == "0", "\(passed)")

        try Self.write(dir, failing: true)
        let fail = try await CommandRunner.run(ProcessTests.binary, ["test", ".", "--junit", "fail.xml"], directory: dir)
        #expect(fail.status == 1, "\(fail.stdout)\n\(fail.stderr)")
        #expect(fail.stdout.contains("FAIL ./orders.tests.yaml › amounts get their decimal commas read"), "\(fail.stdout)")
        #expect(fail.stdout.contains("    output differs (- expected, + actual):\n      [1].amount: - 2.5  + 2.25"), "\(fail.stdout)")
        #expect(fail.stdout.contains("PASS ./orders.tests.yaml › cities <trimmed> & checked"), "\(fail.stdout)")
        let failed = try await Self.parseJUnit(dir.appendingPathComponent("fail.xml"))
        #expect(failed["tag"] == "testsuites" && failed["tests"] == "2" && failed["failures"] == "1", "\(failed)")
        let cases = failed["suites"]?.arrayValue?.first?["cases"]?.arrayValue ?? []
        #expect(cases.map { $0["name"] } == ["amounts get their decimal commas read", "cities <trimmed> & checked"])
        #expect(cases.first?["failure"]?.stringValue?.contains("[1].amount: - 2.5  + 2.25") == true, "\(cases)")
        #expect(cases.last?["failure"] == .null)
    }

    @Test func anInvalidTestFileExitsTwoNamingThePathInIt() async throws {
        guard CLITests.available else { return }
        let dir = try CLITests.temporaryDirectory("test-invalid")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.write(dir, failing: false)
        try """
            pipeline: orders.yaml
            cases:
              - {name: a, input: {records: []}, expect: {outptu: []}}
            """.write(to: dir.appendingPathComponent("bad.tests.yaml"), atomically: true, encoding: .utf8)
        let r = try await CommandRunner.run(ProcessTests.binary, ["test", "bad.tests.yaml", "orders.tests.yaml", "--junit", "j.xml"],
                                            directory: dir, env: ["EXPORTS": "in"])
        #expect(r.status == 2, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("INVALID bad.tests.yaml\n  error: bad.tests.yaml: cases[0].expect.outptu: unknown key"), "\(r.stdout)")
        // The other file still ran.
        #expect(r.stdout.contains("2 passed, 0 failed, 1 invalid test files (2 test files)"), "\(r.stdout)")
        let junit = try await Self.parseJUnit(dir.appendingPathComponent("j.xml"))
        #expect(junit["errors"] == "1" && junit["suites"]?.arrayValue?.first?["cases"]?.arrayValue?.first?["error"] == "test.unknown_key",
                "\(junit)")
        let missing = try await CommandRunner.run(ProcessTests.binary, ["test", "nothing-here.yaml"], directory: dir)
        #expect(missing.status == 2)
    }

    /// The example docs/testing-pipelines.md shows is examples/acme-orders.tests.yaml, and it passes.
    @Test func theDocumentedExampleIsTheExampleFileAndItPasses() async throws {
        guard CLITests.available else { return }
        let page = try String(contentsOf: Self.repository.appendingPathComponent("docs/testing-pipelines.md"), encoding: .utf8)
        let example = try String(contentsOf: Self.repository.appendingPathComponent("examples/acme-orders.tests.yaml"),
                                 encoding: .utf8)
        #expect(page.contains("<!-- example: examples/acme-orders.tests.yaml -->\n```yaml\n\(example)```\n<!-- end example -->"))
        let r = try await CommandRunner.run(ProcessTests.binary, ["test", "examples"], directory: Self.repository)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("4 passed, 0 failed (1 test files)"), "\(r.stdout)")
    }
}
