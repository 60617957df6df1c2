import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OnrampCore
@testable import OnrampServer
import OnrampStore
import Testing

/// The audit log: what the middleware records for a sample of changes, and who may read it.
@Suite struct AuditTests {
    func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, key: String?,
              body: Value? = nil, raw: String? = nil, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if let key { headers[.authorization] = "Bearer \(key)" }
        let buffer = raw.map { ByteBuffer(string: $0) } ?? body.map(APITests.body)
        return try await client.execute(uri: path, method: method, headers: headers, body: buffer)
    }

    @Test func routePatternsMapToChanges() {
        let params = ["tenant": "acme", "name": "TAXMAN_KEY", "run": "r1", "schedule": "s1", "**": "in/a.csv"]
        func change(_ m: HTTPRequest.Method, _ p: String) -> AuditMiddleware.Change? {
            AuditMiddleware.change(method: m, pattern: p, parameter: { params[$0] })
        }
        #expect(change(.put, "/api/v1/tenants/{tenant}/secrets/{name}")
                == .init(action: "put", resourceType: "secret", resourceId: "TAXMAN_KEY", tenantId: "acme"))
        #expect(change(.post, "/api/v1/tenants/{tenant}/pipelines/{pipeline}/runs")
                == .init(action: "trigger", resourceType: "run", resourceId: nil, tenantId: "acme"))
        #expect(change(.post, "/api/v1/tenants/{tenant}/runs/{run}/cancel")
                == .init(action: "cancel", resourceType: "run", resourceId: "r1", tenantId: "acme"))
        #expect(change(.patch, "/api/v1/tenants/{tenant}/schedules/{schedule}")?.action == "update")
        #expect(change(.delete, "/api/v1/tenants/{tenant}/files/**")
                == .init(action: "delete", resourceType: "file", resourceId: "in/a.csv", tenantId: "acme"))
        #expect(change(.post, "/api/v1/tenants")?.resourceType == "tenant")
        #expect(change(.post, "/api/v1/logout") == .init(action: "logout", resourceType: "session", resourceId: nil, tenantId: "acme"))
        #expect(change(.post, "/api/v1/tenants/{tenant}/preview") == nil)
        #expect(change(.post, "/api/v1/validate") == nil)
        #expect(change(.get, "/api/v1/tenants/{tenant}/secrets") == nil)
    }

    @Test func changesAreRecordedWithWhoWhatAndTenantAndReadOnlyByAdmins() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            let k = f.keys
            #expect(try await call(client, .post, "/api/v1/tenants", key: k["admin"], body: ["id": "initech"]).status == .created)
            #expect(try await call(client, .put, "/api/v1/tenants/acme/secrets/OUT_FILE", key: k["acme-admin"],
                                   body: ["value": "very-secret-value.ndjson"]).status == .ok)
            let saved = try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: k["engineer"], body: APITests.pipeline(f.dir))
            let pid = try #require(try APITests.json(saved)["id"]?.stringValue)
            let run = try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/runs", key: k["acme-admin"])
            let rid = try #require(try APITests.json(run)["id"]?.stringValue)
            #expect(try await call(client, .post, "/api/v1/tenants/acme/runs/\(rid)/cancel", key: k["acme-admin"]).status == .ok)
            #expect(try await call(client, .put, "/api/v1/tenants/acme/files/in/a.csv", key: k["acme-admin"], raw: "id\n1\n").status == .ok)
            #expect(try await call(client, .put, "/api/v1/tenants/globex/secrets/G", key: k["globex-admin"], body: ["value": "g"]).status == .ok)
            // Not changes, or refused: not recorded.
            #expect(try await call(client, .post, "/api/v1/validate", key: k["acme-viewer"], body: APITests.pipeline(f.dir)).status == .ok)
            #expect(try await call(client, .put, "/api/v1/tenants/acme/secrets/X", key: k["acme-viewer"], body: ["value": "v"]).status == .forbidden)
            // A person: created, signed in, changes something with the cookie, signs out.
            let created = try await call(client, .post, "/api/v1/tenants/acme/users", key: k["acme-admin"],
                                         body: ["email": "ann@acme.test", "role": "tenant_admin", "password": "long enough password"])
            let uid = try #require(try APITests.json(created)["id"]?.stringValue)
            let login = try await call(client, .post, "/api/v1/login", key: nil, body: ["email": "ann@acme.test", "password": "long enough password"])
            let cookie = String(try #require(login.headers[.setCookie]).split(separator: ";")[0])
            var session: HTTPFields = [.cookie: cookie]
            session[HTTPField.Name("X-CSRF-Token")!] = try APITests.json(login)["csrf_token"]?.stringValue
            #expect(try await call(client, .delete, "/api/v1/tenants/acme/secrets/OUT_FILE", key: nil, headers: session).status == .noContent)
            #expect(try await call(client, .post, "/api/v1/logout", key: nil, headers: session).status == .noContent)

            let all = try APITests.json(try await call(client, .get, "/api/v1/audit", key: k["admin"]))
            let entries = try #require(all["entries"]?.arrayValue)
            func summary(_ e: Value) -> String {
                [e["actor"]?["id"], e["action"], e["resource_type"], e["resource_id"], e["tenant_id"]]
                    .map { $0?.stringValue ?? "-" }.joined(separator: " ")
            }
            #expect(entries.dropLast().map(summary) == [
                "\(uid) logout session \(uid) acme",
                "\(uid) delete secret OUT_FILE acme",
                "\(uid) login session \(uid) acme",
                "acme-admin create user \(uid) acme",
                "globex-admin put secret G globex",
                "acme-admin put file in/a.csv acme",
                "acme-admin cancel run \(rid) acme",
                "acme-admin trigger run \(rid) acme",
                "engineer create pipeline \(pid) acme",
                "acme-admin put secret OUT_FILE acme",
            ])
            #expect(summary(try #require(entries.last)).hasSuffix(" create tenant initech initech"))
            #expect(entries.last?["actor"]?["name"] == "bootstrap admin")
            #expect(entries[1]["actor"] == ["type": "user", "id": .string(uid), "name": "ann@acme.test"])
            #expect(entries[4]["actor"] == ["type": "api_key", "id": "globex-admin", "name": "globex-admin"])
            #expect(entries.allSatisfy { ($0["status"]?.numberValue ?? 0) >= 200 && ($0["status"]?.numberValue ?? 0) < 300 && $0["at"]?.stringValue != nil })
            #expect(!String(buffer: try await call(client, .get, "/api/v1/audit", key: k["admin"]).body).contains("very-secret-value"))

            // Filtered by tenant; a tenant's admins read only their own tenant's log.
            let globex = try APITests.json(try await call(client, .get, "/api/v1/audit?tenant_id=globex", key: k["admin"]))
            #expect(globex["entries"]?.arrayValue?.map(summary) == ["globex-admin put secret G globex"])
            let own = try APITests.json(try await call(client, .get, "/api/v1/tenants/globex/audit", key: k["globex-admin"]))
            #expect(own["entries"]?.arrayValue?.count == 1 && own["next_cursor"] == .null)
            #expect(try await call(client, .get, "/api/v1/tenants/acme/audit", key: k["globex-admin"]).status == .notFound)
            #expect(try await call(client, .get, "/api/v1/audit", key: k["globex-admin"]).status == .forbidden)
            #expect(try await call(client, .get, "/api/v1/audit", key: k["engineer"]).status == .forbidden)
            #expect(try await call(client, .get, "/api/v1/tenants/acme/audit", key: k["acme-viewer"]).status == .forbidden)
            let acme = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/audit", key: k["acme-admin"]))
            #expect(acme["entries"]?.arrayValue?.allSatisfy { $0["tenant_id"] == "acme" } == true)
            #expect(acme["entries"]?.arrayValue?.count == 9)

            // Paging: limit and cursor walk the same entries, newest first, without repeats.
            var walked: [String] = []
            var cursor: String?
            repeat {
                let page = try APITests.json(try await call(client, .get, "/api/v1/audit?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""), key: k["admin"]))
                let items = try #require(page["entries"]?.arrayValue)
                #expect(items.count <= 3)
                walked += items.compactMap { $0["id"]?.stringValue }
                cursor = page["next_cursor"]?.stringValue
            } while cursor != nil
            #expect(walked == entries.compactMap { $0["id"]?.stringValue })
            let bad = try await call(client, .get, "/api/v1/audit?cursor=not-a-cursor", key: k["admin"])
            #expect(bad.status == .unprocessableContent)
            #expect(try APITests.json(bad)["error"]?["field"] == "cursor")
            #expect(try await call(client, .get, "/api/v1/audit?limit=0", key: k["admin"]).status == .unprocessableContent)
        }
    }
}
