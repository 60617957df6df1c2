import Foundation
import OnrampCore
import Testing

/// A tenant's pipeline tests on a real `onramp serve`: they run in the preview's worker process, read the tenant's
/// own files and nothing outside them, and a predicate that never ends costs only its test run.
extension HostileTenantTests {
    @Test func pipelineTestsRunInTheWorkerProcessInsideTheTenantsFileArea() async throws {
        guard Self.available() else { return }
        let dir = try S.temporaryDirectory("hostile-tests")
        defer { try? FileManager.default.removeItem(at: dir) }
        var s = try await S.start(dir, ["--preview-seconds", "5"])
        defer { s.child.stop() }
        try await s.setUp()
        try S.write("id,name\n1,alice\n", to: s.area("acme").appendingPathComponent("in/one.csv"))
        try S.write("id,name\n9,\(S.outside)\n", to: s.area("bobco").appendingPathComponent("in/theirs.csv"))
        let document = S.pipeline("tested", source: S.csv("in/one.csv"), steps: [["set": ["name": "$uppercase(name)"]]])
        let saved = try await s.call("POST", "/tenants/acme/pipelines", key: S.admin, json: document)
        #expect(saved.status == 201, "\(saved.body)")
        let tests = "/tenants/acme/pipelines/tested/versions/1/tests"
        let escapes = ["../../bobco/files/in/theirs.csv", "/etc/passwd", "in/../../../bobco/files/in/theirs.csv",
                       s.area("bobco").appendingPathComponent("in/theirs.csv").path]
        let cases: [Value] = [["name": "own file", "input": ["file": "in/one.csv"],
                               "expect": ["output": [["id": "1", "name": "ALICE"]]]]]
            + escapes.enumerated().map { i, path in
                ["name": .string("escape \(i)"), "input": ["file": .string(path)], "expect": ["each": "true"]]
            }
        let put = try await s.call("PUT", tests + "?required=true", key: S.admin, json: ["cases": .array(cases)])
        #expect(put.status == 200, "\(put.body)")
        let run = try await s.call("POST", tests + "/run", key: s.keys["acme"])
        #expect(run.status == 200, "\(run.body)")
        let results = run.json?["results"]?.arrayValue ?? []
        #expect(results.first?["passed"] == true, "\(run.body)")
        for r in results.dropFirst() {
            #expect(r["passed"] == false && r["failures"]?.arrayValue?.first?.stringValue?.contains("file.outside") == true,
                    "\(r)")
        }
        #expect(!run.body.contains(S.outside) && !run.body.contains("root:x"), "\(run.body)")
        // The tests failed, so the version does not run.
        #expect(try await s.call("POST", "/tenants/acme/pipelines/tested/runs", key: s.keys["acme"]).status == 409)

        // A predicate that never ends is stopped at the preview's time limit; the server keeps answering.
        let stall: Value = ["cases": [["name": "stall", "input": ["file": "in/one.csv"],
                                       "expect": ["each": "($f := function($n) { $f($n + 1) }; $f(0))"]]]]
        #expect(try await s.call("PUT", tests, key: S.admin, json: stall).status == 200)
        let stalled = try await s.call("POST", tests + "/run", key: s.keys["acme"])
        let failure = stalled.json?["results"]?.arrayValue?.first?["failures"]?.arrayValue?.first?.stringValue ?? ""
        #expect(stalled.status == 422 && stalled.code?.hasPrefix("preview.") == true
                || stalled.status == 200 && failure.contains("expr."), "\(stalled.body)")
        try await s.expectHealthy()
        // Another tenant cannot run or read acme's tests.
        #expect(try await s.call("POST", tests + "/run", key: s.keys["bobco"]).status == 404)
    }
}
