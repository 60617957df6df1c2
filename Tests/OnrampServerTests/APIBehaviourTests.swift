import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OnrampCore
@testable import OnrampServer
import OnrampStore
import Testing

/// What a new user hit in the API (issue 17): errors in one envelope, strict query values, paging
/// that loses nothing, the resources the docs promise, one summary shape, artifacts that fail loudly.
@Suite struct APIBehaviourTests {
    func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, key: String?,
              body: Value? = nil, yaml: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        if let yaml {
            headers[.contentType] = "application/yaml"
            return try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: yaml))
        }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map(APITests.body))
    }

    func error(_ r: TestResponse) -> Value? { (try? APITests.json(r))?["error"] }

    @Test func routingErrorsAndUnauthenticatedCallsUseTheEnvelope() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let unknown = try await call(client, .get, "/api/v1/tenants/acme/nothing-here", key: f.keys["admin"])
            #expect(unknown.status == .notFound && error(unknown)?["code"] == "no_route")
            #expect(unknown.headers[.contentType] == "application/json")
            let outside = try await call(client, .get, "/nope", key: nil)
            #expect(outside.status == .notFound && error(outside)?["code"] == "no_route")
            let wrongMethod = try await call(client, .delete, "/api/v1/tenants/acme/runs/some-run", key: f.keys["admin"])
            #expect(wrongMethod.status == .methodNotAllowed && error(wrongMethod)?["code"] == "method_not_allowed")
            #expect(wrongMethod.headers[.allow] == "GET")
            let anonymous = try await call(client, .get, "/api/v1/tenants", key: nil)
            #expect(anonymous.status == .unauthorized && error(anonymous)?["code"] == "unauthorized")
            #expect(anonymous.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
        }
    }

    @Test func outOfRangeAndUnknownQueryValuesAre422NamingTheParameter() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let cases: [(String, String)] = [
                ("/api/v1/tenants/acme/runs?limit=0", "limit"), ("/api/v1/tenants/acme/runs?limit=abc", "limit"),
                ("/api/v1/tenants/acme/runs?limit=100000", "limit"), ("/api/v1/tenants/acme/runs?state=bogus", "state"),
                ("/api/v1/tenants/acme/runs?cursor=2026-12-01T10:00:00Z", "cursor"), ("/api/v1/tenants/acme/runs?before=x", "before"),
                ("/api/v1/tenants/acme/runs/r1/errors?format=xml", "format"), ("/api/v1/tenants/acme/runs/r1/errors?format=json&limit=0", "limit"),
                ("/api/v1/tenants/acme/runs/r1/errors?offset=-1", "offset"), ("/api/v1/tenants/acme/runs/r1/results?format=xml", "format"),
                ("/api/v1/tenants/acme/runs?created_from=yesterday", "created_from"),
                ("/api/v1/tenants/acme/errors?search=" + String(repeating: "x", count: 257), "search"),
                ("/api/v1/tenants/acme/runs?created_from=2026-12-02T00:00:00Z&created_before=2026-12-01T00:00:00Z",
                 "created_before"),
            ]
            for (path, parameter) in cases {
                let r = try await call(client, .get, path, key: f.keys["acme-viewer"])
                #expect(r.status == .unprocessableContent && error(r)?["field"] == .string(parameter), "\(path): \(r.status)")
            }
            #expect(try await call(client, .get, "/api/v1/tenants/acme/runs?limit=500", key: f.keys["acme-viewer"]).status == .ok)
            for limit: Value in [0, 101, 2.5, "3"] {
                let r = try await call(client, .post, "/api/v1/tenants/acme/preview", key: f.keys["engineer"],
                                       body: ["document": APITests.pipeline(f.dir), "limit": limit])
                #expect(r.status == .unprocessableContent && error(r)?["field"] == "limit", "limit \(limit): \(r.status)")
            }
        }
    }

    @Test func pagingThroughRunsVisitsEachOnceWhenTheyShareASecond() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let now = Date()
        for (i, id) in ["r1", "r2", "r3", "r4"].enumerated() {
            await f.store.enqueue(RunRecord(id: id, tenantId: "acme", pipelineId: "p", pipelineVersion: 1, trigger: "api",
                                            createdAt: now.addingTimeInterval(Double(i % 2) * 0.001)))
        }
        await f.store.enqueue(RunRecord(id: "r0", tenantId: "acme", pipelineId: "p", pipelineVersion: 1, trigger: "api",
                                        createdAt: now.addingTimeInterval(-5)))
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            var seen: [String] = []
            var path = "/api/v1/tenants/acme/runs?limit=2"
            for _ in 0..<5 {
                let page = try APITests.json(try await call(client, .get, path, key: f.keys["acme-viewer"]))
                seen += page["runs"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                guard let next = page["next_cursor"]?.stringValue else { break }
                path = "/api/v1/tenants/acme/runs?limit=2&cursor=\(next)"
            }
            #expect(seen == ["r4", "r2", "r3", "r1", "r0"])
        }
    }

    @Test func connectionsByNameVersionsArchiveLocationsAndYAML() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let admin = f.keys["admin"]
            _ = try await call(client, .put, "/api/v1/tenants/acme/connections/erp", key: admin,
                               body: ["connector": "csv", "config": ["path": "in/*.csv"]])
            let connection = try await call(client, .get, "/api/v1/tenants/acme/connections/erp", key: f.keys["acme-viewer"])
            #expect(try connection.status == .ok && APITests.json(connection)["connector"] == "csv")
            #expect(try await call(client, .get, "/api/v1/tenants/acme/connections/nope", key: admin).status == .notFound)

            let yaml = """
                version: 1
                name: copy
                source: {connection: erp}
                steps:
                  - set: {amount: '$number(amount)'}
                destination: {connector: file, config: {path: out.ndjson}}
                """
            let saved = try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: admin, yaml: yaml)
            #expect(saved.status == .created)
            let pid = try #require(try APITests.json(saved)["id"]?.stringValue)
            let location = try #require(saved.headers[.location])
            #expect(location == "/api/v1/tenants/acme/pipelines/\(pid)/versions/1")
            #expect(try await call(client, .get, location, key: admin).status == .ok)
            let badYAML = try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: admin, yaml: "version: [1\n")
            #expect(badYAML.status == .badRequest && error(badYAML)?["code"] == "bad_yaml")
            _ = try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: admin, yaml: yaml + "\nbatch_size: 10\n")
            let versions = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/pipelines/\(pid)/versions", key: admin))
            #expect(versions["versions"]?.arrayValue?.compactMap { $0["version"]?.numberValue } == [2, 1])
            #expect(try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/pipelines/copy", key: admin))["id"] == .string(pid))

            let schedule = try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/schedules", key: admin, body: ["cron": "0 6 * * *"])
            let sid = try #require(try APITests.json(schedule)["id"]?.stringValue)
            #expect(schedule.headers[.location] == "/api/v1/tenants/acme/schedules/\(sid)")
            let run = try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/runs", key: admin)
            let rid = try #require(try APITests.json(run)["id"]?.stringValue)
            #expect(run.headers[.location] == "/api/v1/tenants/acme/runs/\(rid)")

            // Archive: out of the list, schedule gone, queued run cancelled, history readable, no new runs.
            #expect(try await call(client, .delete, "/api/v1/tenants/acme/pipelines/\(pid)", key: f.keys["acme-admin"]).status == .forbidden)
            #expect(try await call(client, .delete, "/api/v1/tenants/acme/pipelines/\(pid)", key: admin).status == .noContent)
            #expect(try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/pipelines", key: admin))["pipelines"] == [])
            #expect(try await call(client, .get, "/api/v1/tenants/acme/schedules/\(sid)", key: admin).status == .notFound)
            #expect(try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/runs/\(rid)", key: admin))["state"] == "cancelled")
            let archived = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/pipelines/\(pid)", key: admin))
            #expect(archived["archived_at"]?.stringValue != nil)
            let refused = try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/runs", key: admin)
            #expect(refused.status == .conflict && error(refused)?["code"] == "archived")
            #expect(try await call(client, .delete, "/api/v1/tenants/acme/pipelines/\(pid)", key: admin).status == .conflict)

            let tenant = try await call(client, .post, "/api/v1/tenants", key: admin, body: ["id": "initech"])
            #expect(tenant.headers[.location] == "/api/v1/tenants/initech")
            #expect(try await call(client, .get, "/api/v1/tenants/initech", key: admin).status == .ok)
            let key = try await call(client, .post, "/api/v1/tenants/acme/api-keys", key: admin, body: ["role": "tenant_viewer"])
            let keyLocation = try #require(key.headers[.location])
            let shown = try APITests.json(try await call(client, .get, keyLocation, key: admin))
            #expect(shown["role"] == "tenant_viewer" && shown["key"] == nil)
        }
    }

    @Test func theSummaryHasOneCompleteShapeAndUnreadableArtifactsAreCodedErrors() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        // A run that failed before it started (the worker stores only a reason), and one whose log
        // was sealed under a master key this server does not have.
        let other = ArtifactSealer(box: SecretBox(key: SymmetricKey(size: .bits256)))
        let log = f.dir.appendingPathComponent("run.log")
        try "secret log".write(to: log, atomically: true, encoding: .utf8)
        try other.seal(path: log.path, context: "sealed/log_path")
        var fences: [String: RunFence] = [:]
        for id in ["early", "sealed"] {
            await f.store.enqueue(RunRecord(id: id, tenantId: "acme", pipelineId: "p-\(id)", pipelineVersion: 1, trigger: "api", createdAt: Date()))
            fences[id] = try await f.store.claim(worker: "w", now: Date(), lease: 30, perTenantLimit: 10)?.fence
        }
        _ = await f.store.finish(fences["early"]!, state: .failed, summary: ["status": "failed", "failure_reason": "no pipeline"], at: Date())
        _ = await f.store.finish(fences["sealed"]!, state: .succeeded,
                                 summary: ["pipeline": "copy", "records_read": 1, "log_path": .string(log.path)], at: Date())
        await f.store.enqueue(RunRecord(id: "queued", tenantId: "acme", pipelineId: "p", pipelineVersion: 1, trigger: "api", createdAt: Date()))
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let keys = ["pipeline", "records_read", "records_written", "records_failed", "failed_by_stage", "seconds", "failure_reason", "outputs",
                        "error_queue", "warnings", "records_routed", "error_groups", "reconciliation", "schema_drift"]
            for id in ["early", "sealed", "queued"] {
                let summary = try #require(try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/runs/\(id)", key: f.keys["acme-viewer"]))["summary"]?.objectValue)
                #expect(Array(summary.keys).sorted() == keys.sorted(), "\(id): \(summary.keys)")
                #expect(summary["failed_by_stage"]?.objectValue?.keys.sorted() == ["extract", "load", "transform"])
            }
            let early = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/runs/early", key: f.keys["acme-viewer"]))
            #expect(early["summary"]?["failure_reason"] == "no pipeline" && early["summary"]?["records_read"] == .number(0))
            #expect(early["summary"]?["outputs"] == .object([:]))
            // A finished run without results answers an empty download; an unfinished one is 404.
            let empty = try await call(client, .get, "/api/v1/tenants/acme/runs/early/results", key: f.keys["acme-viewer"])
            #expect(empty.status == .ok && empty.body.readableBytes == 0)
            let notYet = try await call(client, .get, "/api/v1/tenants/acme/runs/queued/results", key: f.keys["acme-viewer"])
            #expect(notYet.status == .notFound && error(notYet)?["code"] == "not_finished")

            let sealed = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/runs/sealed", key: f.keys["acme-viewer"]))
            #expect(sealed["summary"]?["outputs"] == ["log": "/api/v1/tenants/acme/runs/sealed/logs"])
            let unreadable = try await call(client, .get, "/api/v1/tenants/acme/runs/sealed/logs", key: f.keys["acme-viewer"])
            #expect(unreadable.status == .internalServerError && error(unreadable)?["code"] == "artifact.unreadable")
            #expect(error(unreadable)?["message"]?.stringValue?.contains("sealed") == true)
        }
    }
}
