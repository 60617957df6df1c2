import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
@testable import OnrampServer
import OnrampStore
import Testing

/// A stored pipeline version's tests over the API: stored, run (as a preview runs: the tenant's file area, nothing
/// sent), recorded on the version, and required before runs; hostile test documents stay inside the tenant.
@Suite struct PipelineTestAPITests {
    func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, key: String?,
              body: Value? = nil, yaml: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        if yaml != nil { headers[.contentType] = "application/yaml" }
        let buffer = yaml.map { ByteBuffer(string: $0) } ?? body.map(APITests.body)
        return try await client.execute(uri: "/api/v1/tenants/acme/" + path, method: method, headers: headers, body: buffer)
    }

    /// The fixture's pipeline (`in/*.csv` → `$number(amount)` → a file) and a test of it over `in/a.csv`.
    static func tests(amount: String) -> String {
        """
        cases:
          - name: amounts are numbers
            input: {file: in/a.csv}
            expect:
              output: [{id: "1", amount: \(amount)}, {id: "3", amount: 4}]
              errors: [{code: expr.D3030, stage: transform}]
        """
    }

    @Test func testsAreStoredRunRecordedAndRequiredBeforeRuns() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: f.api.buildRouter()).test(.router) { client in
            let engineer = f.keys["engineer"], admin = f.keys["acme-admin"]
            let saved = try await call(client, .post, "pipelines", key: engineer, body: APITests.pipeline(f.dir))
            #expect(saved.status == .created)
            let id = try #require(try APITests.json(saved)["id"]?.stringValue)
            let tests = "pipelines/copy/versions/1/tests"
            #expect(try await call(client, .get, tests, key: admin).status == .notFound)
            // Only engineers store tests; a bad test document names its path.
            #expect(try await call(client, .put, tests, key: admin, yaml: Self.tests(amount: "2.5")).status == .forbidden)
            let bad = try await call(client, .put, tests, key: engineer, yaml: "cases: [{name: a, input: {records: []}, expect: {x: 1}}]")
            #expect(bad.status == .unprocessableContent)
            #expect(try APITests.json(bad)["error"]?["field"] == "cases[0].expect.x")
            // A case naming a step the version does not have is refused when stored, not found at the first run.
            let noStep = try await call(client, .put, tests, key: engineer,
                                        yaml: "cases: [{name: a, from: nosuch, input: {records: []}, expect: {output: []}}]")
            #expect(noStep.status == .unprocessableContent)
            #expect(try APITests.json(noStep)["error"]?["field"] == "cases[0].from" && APITests.json(noStep)["error"]?["code"] == "test.step")

            // A failing document, required: runs are refused until a test run passes.
            let put = try await call(client, .put, tests + "?required=true", key: engineer, yaml: Self.tests(amount: "2.6"))
            #expect(put.status == .ok, "\(String(buffer: put.body))")
            #expect(try APITests.json(put)["required"] == true && APITests.json(put)["last_run"] == .null)
            let refused = try await call(client, .post, "pipelines/copy/runs", key: admin)
            #expect(refused.status == .conflict)
            #expect(try APITests.json(refused)["error"]?["code"] == "tests_required")
            #expect(try APITests.json(refused)["error"]?["message"]?.stringValue?.contains("have not run yet") == true)

            let failing = try APITests.json(try await call(client, .post, tests + "/run", key: admin))
            #expect(failing["passed"] == false && failing["cases"] == 1 && failing["failed"] == 1, "\(failing)")
            let failure = failing["results"]?.arrayValue?.first?["failures"]?.arrayValue?.first?.stringValue ?? ""
            #expect(failure.contains("[0].amount: - 2.6  + 2.5"), "\(failing)")
            #expect(try APITests.json(try await call(client, .get, tests, key: admin))["last_run"]?["passed"] == false)
            let stillRefused = try await call(client, .post, "pipelines/\(id)/runs", key: admin)
            #expect(stillRefused.status == .conflict)
            #expect(try APITests.json(stillRefused)["error"]?["message"]?.stringValue?.contains("last run failed (1 of 1") == true)

            // Fixed: the test run passes, is recorded, and runs are allowed again.
            #expect(try await call(client, .put, tests + "?required=true", key: engineer, yaml: Self.tests(amount: "2.5")).status == .ok)
            let passing = try APITests.json(try await call(client, .post, tests + "/run", key: admin))
            #expect(passing["passed"] == true && passing["failed"] == 0, "\(passing)")
            let shown = try APITests.json(try await call(client, .get, tests, key: f.keys["acme-viewer"]))
            #expect(shown["allows_runs"] == true && shown["last_run"]?["passed"] == true && shown["document"]?["cases"] != nil)
            #expect(try await call(client, .post, "pipelines/copy/runs", key: admin).status == .accepted)
            // Another tenant sees none of it.
            var headers: HTTPFields = [:]
            headers[.authorization] = "Bearer \(f.keys["globex-admin"]!)"
            #expect(try await client.execute(uri: "/api/v1/tenants/acme/" + tests, method: .get, headers: headers).status == .notFound)
        }
    }

    @Test func aScheduledRunOfAVersionWhoseRequiredTestsHaveNotPassedFailsWithThatReason() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let saved = await f.store.savePipeline(tenantId: "acme", name: "copy", document: APITests.pipeline(f.dir), at: Date())
        await f.store.savePipelineTests(PipelineTestRecord(pipelineId: saved.pipelineId, version: 1,
                                                           document: try PipelineLoader.document(Self.tests(amount: "2.5"), file: "t"),
                                                           required: true, updatedAt: Date()))
        await f.store.enqueue(RunRecord(id: "scheduled-1", tenantId: "acme", pipelineId: saved.pipelineId, pipelineVersion: 1,
                                        trigger: "schedule", createdAt: Date()))
        let worker = Task { try await f.api.worker!.run() }
        defer { worker.cancel() }
        var run: RunRecord?
        for _ in 0..<500 {
            run = await f.store.run(id: "scheduled-1")
            if run?.state.isFinished == true { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(run?.state == .failed)
        let reason = run?.summary?["failure_reason"]?.stringValue ?? ""
        #expect(reason.contains("runs only once its tests pass") && reason.contains("run.tests_required"), "\(String(describing: run?.summary))")
        #expect(!FileManager.default.fileExists(atPath: TenantFileArea.root(dataDirectory: f.dir.path, tenant: "acme") + "/out.ndjson"))
    }

    @Test func hostileTestDocumentsStayInsideTheTenantsFileAreaAndHugeOnesAreRefused() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try "root:x:0:0\n".write(to: f.dir.appendingPathComponent("tenants/secret.csv"), atomically: true, encoding: .utf8)
        try await Application(router: f.api.buildRouter()).test(.router) { client in
            let engineer = f.keys["engineer"], admin = f.keys["acme-admin"]
            #expect(try await call(client, .post, "pipelines", key: engineer, body: APITests.pipeline(f.dir)).status == .created)
            let tests = "pipelines/copy/versions/1/tests"
            for path in ["../../etc/passwd", "/etc/passwd", "../secret.csv", "in/../../secret.csv"] {
                let put = try await call(client, .put, tests, key: engineer, yaml: """
                    pipeline: ../../etc/passwd
                    cases:
                      - name: escape
                        input: {file: "\(path)"}
                        expect: {each: "true"}
                    """)
                #expect(put.status == .ok, "\(String(buffer: put.body))")
                let run = try APITests.json(try await call(client, .post, tests + "/run", key: admin))
                let failure = run["results"]?.arrayValue?.first?["failures"]?.arrayValue?.first?.stringValue ?? ""
                #expect(run["passed"] == false && failure.contains("file.outside"), "\(path): \(run)")
                #expect(!failure.contains("root:x"), "\(path): \(run)")
            }
            let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
            let nested = try await call(client, .put, tests, key: engineer, yaml: "cases: " + deep)
            #expect(nested.status == .badRequest || nested.status == .unprocessableContent, "\(nested.status)")
            let huge = String(repeating: "# padding\n", count: 500_000)
            let big = try await call(client, .put, tests, key: engineer, yaml: huge + Self.tests(amount: "2.5"))
            #expect(big.status == .contentTooLarge, "\(big.status)")
            #expect(try APITests.json(big)["error"]?["code"] == "too_large")
            let many = "cases:\n" + (0..<1001).map { "  - {name: c\($0), input: {records: []}, expect: {}}\n" }.joined()
            let tooMany = try await call(client, .put, tests, key: engineer, yaml: many)
            #expect(tooMany.status == .unprocessableContent)
            #expect(try APITests.json(tooMany)["error"]?["code"] == "test.too_large")
        }
    }
}
