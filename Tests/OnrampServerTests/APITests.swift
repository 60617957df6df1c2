import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
import OnrampCore
import OnrampEngine
import OnrampScheduler
@testable import OnrampServer
import OnrampStore
import Crypto
import Testing

/// The API in process (HummingbirdTesting) on a memory store, with real workers.
@Suite struct APITests {
    struct Fixture {
        let api: OnrampAPI
        let store: MemoryStore
        let dir: URL
        let keys: [String: String]  // role label -> secret
    }

    static func fixture(http: Bool = false) async throws -> Fixture {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-api-\(UUID().uuidString)")
        let files = dir.appendingPathComponent("tenants/acme/files")
        try FileManager.default.createDirectory(at: files.appendingPathComponent("in"), withIntermediateDirectories: true)
        try "id,amount\n1,2.5\n2,x\n3,4\n".write(to: files.appendingPathComponent("in/a.csv"), atomically: true, encoding: .utf8)
        let store = MemoryStore()
        var registry = ConnectorRegistry()
        FileConnectors.register(into: &registry)
        if http { HTTPConnectors.register(into: &registry) }
        let box = SecretBox(key: SymmetricKey(size: .bits256))
        let artifacts = RunArtifacts(sealer: ArtifactSealer(box: box))
        var options = RunWorker.Options(dataDirectory: dir.path)
        // Long enough that a loaded CI machine does not starve the heartbeats into a takeover (a run landing twice).
        options.lease = 30
        let worker = RunWorker(store: store, registry: registry, options: options,
                               secrets: SecretResolution(store: store, box: box).resolve,
                               sealArtifact: { try await artifacts.seal(run: $0, attempt: $1, key: $2, path: $3) })
        var api = OnrampAPI(store: store, registry: registry, worker: worker, secretBox: box, dataDirectory: dir.path)
        api.artifacts = artifacts
        let admin = try await api.bootstrapAdminKey(secret: "admin-secret")!
        #expect(try await api.bootstrapAdminKey(secret: "again") == nil)
        var keys = ["admin": admin]
        for tenant in ["acme", "globex"] { _ = await store.createTenant(TenantRecord(id: tenant, name: tenant, createdAt: Date())) }
        for (label, role, tenant) in [("engineer", Role.engineer, nil), ("acme-admin", .tenantAdmin, "acme"), ("acme-viewer", .tenantViewer, "acme"),
                                      ("globex-admin", .tenantAdmin, "globex")] as [(String, Role, String?)] {
            let secret = "secret-\(label)"
            await store.createKey(APIKeyRecord(id: label, name: label, role: role, tenantId: tenant, secretHash: AuthMiddleware.hash(secret), createdAt: Date()))
            keys[label] = secret
        }
        return Fixture(api: api, store: store, dir: dir, keys: keys)
    }

    /// A pipeline over acme's file area (paths relative to `<data>/tenants/acme/files`).
    static func pipeline(_ dir: URL) -> Value {
        ["version": 1, "name": "copy",
         "source": ["connector": "csv", "config": ["path": "in/*.csv"]],
         "steps": [["set": ["amount": "$number(amount)"]]],
         "destination": ["connector": "file", "config": ["path": "out.ndjson"]]]
    }

    static func body(_ v: Value) -> ByteBuffer { ByteBuffer(string: JSONWriter.string(v)) }
    static func json(_ r: TestResponse) throws -> Value { try JSONParser.parse([UInt8](buffer: r.body)) }

    func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, key: String?, body: Value? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map(Self.body))
    }

    @Test func customersDayAndTheIsolationMatrix() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            // Unauthenticated and unknown keys: 401 with the error envelope.
            let anon = try await call(client, .get, "/api/v1/tenants/acme/runs", key: nil)
            #expect(anon.status == .unauthorized)
            #expect(try Self.json(anon)["error"]?["code"] == "unauthorized")
            #expect(try await call(client, .get, "/api/v1/tenants", key: "nope").status == .unauthorized)

            // Only engineers and admins save pipelines; a bad document names its field.
            #expect(try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: f.keys["acme-admin"], body: Self.pipeline(f.dir)).status == .forbidden)
            var bad = Self.pipeline(f.dir).objectValue!
            bad["sauce"] = "x"
            let invalid = try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: f.keys["engineer"], body: .object(bad))
            #expect(invalid.status == .unprocessableContent)
            #expect(try Self.json(invalid)["error"]?["field"]?.stringValue?.hasSuffix("sauce") == true)
            let saved = try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: f.keys["engineer"], body: Self.pipeline(f.dir))
            #expect(saved.status == .created)
            let pid = try Self.json(saved)["id"]!.stringValue!
            let again = try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: f.keys["engineer"], body: Self.pipeline(f.dir))
            #expect(try Self.json(again)["version"] == .number(2))

            // Another tenant's admin sees nothing of acme: 404, never 403.
            for path in ["/api/v1/tenants/acme/pipelines", "/api/v1/tenants/acme/pipelines/\(pid)", "/api/v1/tenants/acme/runs"] {
                #expect(try await call(client, .get, path, key: f.keys["globex-admin"]).status == .notFound)
            }
            #expect(try await call(client, .get, "/api/v1/tenants/globex/pipelines/\(pid)", key: f.keys["globex-admin"]).status == .notFound)
            #expect(try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/runs", key: f.keys["globex-admin"]).status == .notFound)

            // Secrets: set by the tenant's admin, listed without values, filled in when the run starts.
            #expect(try await call(client, .put, "/api/v1/tenants/acme/secrets/OUT_FILE", key: f.keys["acme-viewer"], body: ["value": "out.ndjson"]).status == .forbidden)
            #expect(try await call(client, .put, "/api/v1/tenants/acme/secrets/OUT_FILE", key: f.keys["acme-admin"], body: ["value": "out.ndjson"]).status == .ok)
            let secrets = String(buffer: try await call(client, .get, "/api/v1/tenants/acme/secrets", key: f.keys["acme-viewer"]).body)
            #expect(secrets.contains("OUT_FILE") && !secrets.contains("out.ndjson"))

            // A viewer reads but cannot run; the tenant's admin runs on demand.
            #expect(try await call(client, .get, "/api/v1/tenants/acme/pipelines", key: f.keys["acme-viewer"]).status == .ok)
            #expect(try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/runs", key: f.keys["acme-viewer"]).status == .forbidden)
            let started = try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/runs", key: f.keys["acme-admin"])
            #expect(started.status == .accepted)
            let runId = try Self.json(started)["id"]!.stringValue!
            #expect(try Self.json(started)["pipeline_version"] == .number(2))

            // The worker picks it up; the customer watches it finish and downloads results and errors.
            let worker = Task { try await f.api.worker!.run() }
            defer { worker.cancel() }
            var detail: Value = .null
            for _ in 0..<250 {
                detail = try Self.json(try await call(client, .get, "/api/v1/tenants/acme/runs/\(runId)", key: f.keys["acme-viewer"]))
                if detail["state"] != "queued" && detail["state"] != "running" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(detail["state"] == "succeeded_with_errors")
            #expect(detail["summary"]?["failed_by_stage"]?["transform"] == .number(1))
            #expect(detail["summary"]?["results_path"] == nil)
            #expect(FileManager.default.fileExists(atPath: f.dir.appendingPathComponent("tenants/acme/files/out.ndjson").path))
            // Artifacts are sealed at rest: no plain error report under the data directory.
            let runDir = f.dir.appendingPathComponent("runs/\(runId)")
            let files = try FileManager.default.contentsOfDirectory(atPath: runDir.path)
            #expect(!files.isEmpty && files.allSatisfy { $0.hasSuffix(".sealed") }, "\(files)")
            let sealedReport = try Data(contentsOf: runDir.appendingPathComponent("copy-errors.csv.sealed"))
            #expect(!String(decoding: sealedReport, as: UTF8.self).contains("expr.D3030"))
            let log = String(buffer: try await call(client, .get, "/api/v1/tenants/acme/runs/\(runId)/logs", key: f.keys["acme-viewer"]).body)
            #expect(log.contains("run started") && log.contains("run succeeded_with_errors") && log.contains("expr.D3030"))
            let paged = try Self.json(try await call(client, .get, "/api/v1/tenants/acme/runs/\(runId)/errors?format=json&limit=10", key: f.keys["acme-viewer"]))
            #expect(paged["total"] == .number(1) && paged["errors"]?.arrayValue?.first?["code"] == "expr.D3030" && paged["next_offset"] == .null)
            let errors = try await call(client, .get, "/api/v1/tenants/acme/runs/\(runId)/errors", key: f.keys["acme-viewer"])
            #expect(errors.status == .ok && String(buffer: errors.body).contains("expr.D3030"))
            // The reconciliation is a download of its own, sealed at rest like the others: 3 rows read, 2 written.
            #expect(detail["summary"]?["outputs"]?["reconciliation"] == .string("/api/v1/tenants/acme/runs/\(runId)/reconciliation"))
            #expect(files.contains("copy-reconciliation.csv.sealed"), "\(files)")
            #expect(detail["summary"]?["reconciliation"] == ["rows_read": 3, "records": 3, "sent": 2, "accepted": 2, "refused": 0,
                                                            "routed": 0, "routed_refused": 0])
            #expect(detail["summary"]?["error_groups"]?.arrayValue?.first?["code"] == "expr.D3030")
            let reconciliation = try await call(client, .get, "/api/v1/tenants/acme/runs/\(runId)/reconciliation", key: f.keys["acme-viewer"])
            let rows = String(buffer: reconciliation.body).split(separator: "\r\n").map(String.init)
            #expect(reconciliation.status == .ok && reconciliation.headers[.contentType] == "text/csv")
            #expect(rows.first?.hasPrefix("scope,currency,rows_read,records,sent,accepted,refused") == true && rows.count == 2)
            #expect(rows.last?.hasPrefix("run,,3,3,2,2,0,0,0") == true, "\(rows)")
            #expect(try await call(client, .get, "/api/v1/tenants/acme/runs/\(runId)/reconciliation", key: f.keys["globex-admin"]).status
                    == .notFound)
            let list = try Self.json(try await call(client, .get, "/api/v1/tenants/acme/runs?state=succeeded_with_errors&limit=10", key: f.keys["acme-viewer"]))
            #expect(list["runs"]?.arrayValue?.count == 1)
            // Created in a range (ISO 8601, fractions allowed): the run is in the hour around it, not in the hour before.
            let createdAt = try #require(list["runs"]?.arrayValue?.first?["created_at"]?.stringValue.flatMap(ISOTime.date))
            func listed(_ from: Date, _ before: Date) async throws -> Int? {
                let path = "/api/v1/tenants/acme/runs?state=succeeded_with_errors&created_from=\(ISOTime.fractional.format(from))"
                    + "&created_before=\(ISOTime.string(before))"
                return try Self.json(try await call(client, .get, path, key: f.keys["acme-viewer"]))["runs"]?.arrayValue?.count
            }
            #expect(try await listed(createdAt.addingTimeInterval(-1800), createdAt.addingTimeInterval(1800)) == 1)
            #expect(try await listed(createdAt.addingTimeInterval(-3600), createdAt.addingTimeInterval(-1)) == 0)
            #expect(try await call(client, .get, "/api/v1/tenants/acme/runs?state=bogus", key: f.keys["acme-viewer"]).status == .unprocessableContent)
            #expect(try await call(client, .post, "/api/v1/tenants/acme/runs/\(runId)/cancel", key: f.keys["acme-admin"]).status == .conflict)

            // The customer's admin schedules it; the viewer sees the next fire times but cannot change them.
            let badCron = try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/schedules", key: f.keys["acme-admin"], body: ["cron": "0 25 * * *"])
            #expect(badCron.status == .unprocessableContent)
            #expect(try Self.json(badCron)["error"]?["field"] == "cron")
            let sched = try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/schedules", key: f.keys["acme-admin"],
                                       body: ["cron": "0 6 * * mon-fri", "timezone": "America/New_York"])
            #expect(sched.status == .created)
            let sid = try Self.json(sched)["id"]!.stringValue!
            #expect(try Self.json(sched)["next_fire_times"]?.arrayValue?.count == 5)
            #expect(try await call(client, .patch, "/api/v1/tenants/acme/schedules/\(sid)", key: f.keys["acme-viewer"], body: ["enabled": false]).status == .forbidden)
            let off = try await call(client, .patch, "/api/v1/tenants/acme/schedules/\(sid)", key: f.keys["acme-admin"], body: ["enabled": false])
            #expect(try Self.json(off)["enabled"] == false)
            #expect(try await call(client, .get, "/api/v1/tenants/acme/schedules/\(sid)", key: f.keys["globex-admin"]).status == .notFound)
        }
    }

    @Test func apiKeysAreShownOnceStoredHashedAndRevocable() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            let created = try await call(client, .post, "/api/v1/tenants/acme/api-keys", key: f.keys["acme-admin"], body: ["name": "ci", "role": "tenant_viewer"])
            #expect(created.status == .created)
            let secret = try Self.json(created)["key"]!.stringValue!
            let id = try Self.json(created)["id"]!.stringValue!
            #expect(try await call(client, .get, "/api/v1/tenants/acme/runs", key: secret).status == .ok)
            let listed = String(buffer: try await call(client, .get, "/api/v1/tenants/acme/api-keys", key: f.keys["acme-admin"]).body)
            #expect(!listed.contains(secret) && listed.contains(id))
            #expect(await f.store.keys(tenantId: "acme").allSatisfy { $0.secretHash != secret })
            // A tenant admin cannot mint platform roles, nor keys for another tenant.
            #expect(try await call(client, .post, "/api/v1/tenants/acme/api-keys", key: f.keys["acme-admin"], body: ["role": "engineer"]).status == .unprocessableContent)
            #expect(try await call(client, .post, "/api/v1/tenants/globex/api-keys", key: f.keys["acme-admin"], body: ["role": "tenant_viewer"]).status == .notFound)
            #expect(try await call(client, .delete, "/api/v1/tenants/acme/api-keys/\(id)", key: f.keys["acme-admin"]).status == .noContent)
            #expect(try await call(client, .get, "/api/v1/tenants/acme/runs", key: secret).status == .unauthorized)
        }
    }

    @Test func onboardingFromATemplateNeedsNoCode() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        var draft = Self.pipeline(f.dir).objectValue!
        draft["source"] = ["connector": "csv", "config": ["path": "${param:EXPORT_GLOB}", "delimiter": "${param:DELIMITER}"]]
        let template = draft
        try await app.test(.router) { client in
            #expect(try await call(client, .put, "/api/v1/templates/erp-csv", key: f.keys["acme-admin"], body: ["document": .object(template)]).status == .forbidden)
            let saved = try await call(client, .put, "/api/v1/templates/erp-csv", key: f.keys["engineer"],
                                       body: ["description": "ERP CSV export to a file", "document": .object(template)])
            #expect(saved.status == .ok)
            #expect(try Self.json(saved)["parameters"] == ["DELIMITER", "EXPORT_GLOB"])
            // The customer's admin onboards: parameters in, a validated pipeline out.
            let missing = try await call(client, .post, "/api/v1/tenants/acme/templates/erp-csv/pipelines", key: f.keys["acme-admin"],
                                         body: ["name": "acme-orders", "parameters": ["EXPORT_GLOB": "in/*.csv"]])
            #expect(missing.status == .unprocessableContent)
            #expect(try Self.json(missing)["error"]?["field"] == "parameters.DELIMITER")
            let bad = try await call(client, .post, "/api/v1/tenants/acme/templates/erp-csv/pipelines", key: f.keys["acme-admin"],
                                     body: ["name": "acme-orders", "parameters": ["EXPORT_GLOB": "x", "DELIMITER": ";;"]])
            #expect(bad.status == .unprocessableContent)
            #expect(try Self.json(bad)["error"]?["field"] == "source.config.delimiter")
            let made = try await call(client, .post, "/api/v1/tenants/acme/templates/erp-csv/pipelines", key: f.keys["acme-admin"],
                                      body: ["name": "acme-orders", "parameters": ["EXPORT_GLOB": "in/*.csv", "DELIMITER": ","]])
            #expect(made.status == .created)
            let doc = try Self.json(made)["document"]
            #expect(doc?["name"] == "acme-orders" && doc?["source"]?["config"]?["delimiter"] == ",")
            #expect(doc?["destination"]?["config"]?["path"] == "out.ndjson")
            #expect(try await call(client, .post, "/api/v1/tenants/acme/templates/erp-csv/pipelines", key: f.keys["globex-admin"],
                                   body: ["name": "x", "parameters": [:]]).status == .notFound)
        }
    }

    /// The starter templates that ship with the binary are listed with their parameters described, and onboard.
    @Test func starterTemplatesShipWithTheServer() async throws {
        let f = try await Self.fixture(http: true)
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            let list = try Self.json(try await call(client, .get, "/api/v1/templates", key: f.keys["acme-admin"]))
            let starter = list["templates"]?.arrayValue?.first { $0["name"] == "erp-flat-lines-csv" }
            #expect(starter?["builtin"] == true)
            let one = try Self.json(try await call(client, .get, "/api/v1/templates/erp-flat-lines-csv", key: f.keys["acme-admin"]))
            let details = one["parameter_details"]?.arrayValue ?? []
            #expect(details.contains { $0["name"] == "date_format" && $0["example"] == "DD.MM.YYYY" }, "\(one)")
            let values: Value = ["files": "in/*.csv", "delimiter": ";", "encoding": "windows-1252", "date_format": "DD.MM.YYYY",
                                 "decimal_separator": ",", "id_prefix": "ACME-", "taxman_url": "https://api.taxman.example"]
            let noKey = try await call(client, .post, "/api/v1/tenants/acme/templates/erp-flat-lines-csv/pipelines",
                                       key: f.keys["acme-admin"], body: ["name": "acme-lines", "parameters": values])
            #expect(noKey.status == .unprocessableContent && String(buffer: noKey.body).contains("TAXMAN_API_KEY"),
                    "the template's key is the tenant's secret: \(String(buffer: noKey.body))")
            #expect(try await call(client, .put, "/api/v1/tenants/acme/secrets/TAXMAN_API_KEY", key: f.keys["acme-admin"],
                                   body: ["value": "k", "origins": ["https://api.taxman.example"]]).status == .ok)
            let made = try await call(client, .post, "/api/v1/tenants/acme/templates/erp-flat-lines-csv/pipelines",
                                      key: f.keys["acme-admin"], body: ["name": "acme-lines", "parameters": values])
            #expect(made.status == .created, "\(String(buffer: made.body))")
            #expect(try Self.json(made)["document"]?["source"]?["config"]?["encoding"] == "windows-1252")
            // Every starter is listed; the workbook one onboards with its header row given as text, as parameters are.
            let names = Set(list["templates"]?.arrayValue?.compactMap { $0["builtin"] == true ? $0["name"]?.stringValue : nil } ?? [])
            #expect(names.isSuperset(of: StarterTemplates.all.map(\.name)) && names.contains("odoo-postgres-sale-orders"), "\(names)")
            let workbook = try await call(client, .post, "/api/v1/tenants/acme/templates/erp-xlsx-order-list/pipelines",
                                          key: f.keys["acme-admin"], body: ["name": "acme-xlsx", "parameters": [
                                            "files": "in/*.xlsx", "sheet": "Orders", "header_row": 3, "date_format": "DD.MM.YYYY",
                                            "decimal_separator": ",", "id_prefix": "X-", "taxman_url": "https://api.taxman.example"]])
            #expect(workbook.status == .created, "\(String(buffer: workbook.body))")
            #expect(try Self.json(workbook)["document"]?["source"]?["config"]?["header_row"] == "3")
            let badRow = try await call(client, .post, "/api/v1/tenants/acme/templates/erp-xlsx-order-list/pipelines",
                                        key: f.keys["acme-admin"], body: ["name": "acme-xlsx-2", "parameters": [
                                          "files": "in/*.xlsx", "sheet": "Orders", "header_row": "third", "date_format": "D",
                                          "decimal_separator": ",", "id_prefix": "X-", "taxman_url": "https://api.taxman.example"]])
            #expect(badRow.status == .unprocessableContent && String(buffer: badRow.body).contains("header_row"),
                    "\(String(buffer: badRow.body))")
        }
    }

    @Test func peopleSignInWithSessionsAndCSRF() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            let created = try await call(client, .post, "/api/v1/tenants/acme/users", key: f.keys["acme-admin"], body: ["email": "viewer@acme.test", "role": "tenant_admin"])
            #expect(created.status == .created)
            let password = try #require(try Self.json(created)["password"]?.stringValue)
            let location = try #require(created.headers[.location])
            let account = try Self.json(try await call(client, .get, location, key: f.keys["acme-admin"]))
            #expect(account["email"] == "viewer@acme.test" && account["password"] == nil)
            #expect(try await call(client, .get, location.replacingOccurrences(of: "/acme/", with: "/globex/"),
                                   key: f.keys["globex-admin"]).status == .notFound)
            #expect(try await call(client, .post, "/api/v1/tenants/acme/users", key: f.keys["acme-admin"],
                                   body: ["email": "VIEWER@acme.test", "role": "tenant_viewer", "password": "long enough password"]).status == .conflict)
            let wrong = try await client.execute(uri: "/api/v1/login", method: .post, body: Self.body(["email": "viewer@acme.test", "password": "nope"]))
            #expect(wrong.status == .unauthorized)
            let login = try await client.execute(uri: "/api/v1/login", method: .post, body: Self.body(["email": "viewer@acme.test", "password": .string(password)]))
            #expect(login.status == .ok)
            let setCookie = try #require(login.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            let cookie = String(setCookie.split(separator: ";")[0])
            let csrf = try #require(try Self.json(login)["csrf_token"]?.stringValue)
            // Reads with the cookie; writes need the CSRF token too.
            #expect(try await client.execute(uri: "/api/v1/tenants/acme/runs", method: .get, headers: [.cookie: cookie]).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/tenants/globex/runs", method: .get, headers: [.cookie: cookie]).status == .notFound)
            let put = Self.body(["value": "v"])
            #expect(try await client.execute(uri: "/api/v1/tenants/acme/secrets/S", method: .put, headers: [.cookie: cookie], body: put).status == .forbidden)
            var headers: HTTPFields = [.cookie: cookie]
            headers[HTTPField.Name("X-CSRF-Token")!] = csrf
            #expect(try await client.execute(uri: "/api/v1/tenants/acme/secrets/S", method: .put, headers: headers, body: put).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/logout", method: .post, headers: headers).status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/tenants/acme/runs", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
        }
    }

    @Test func pipelinesUseATenantsConnections() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            let bad = try await call(client, .put, "/api/v1/tenants/acme/connections/erp", key: f.keys["acme-admin"], body: ["connector": "csv", "config": ["delimiter": ";"]])
            #expect(bad.status == .unprocessableContent)
            #expect(try Self.json(bad)["error"]?["field"] == "config.path")
            let ok = try await call(client, .put, "/api/v1/tenants/acme/connections/erp", key: f.keys["acme-admin"],
                                    body: ["connector": "csv", "config": ["path": "in/*.csv"]])
            #expect(ok.status == .ok)
            #expect(try await call(client, .get, "/api/v1/tenants/acme/connections", key: f.keys["globex-admin"]).status == .notFound)
            var document = Self.pipeline(f.dir).objectValue!
            document["source"] = ["connection": "erp"]
            #expect(try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: f.keys["engineer"], body: .object(document)).status == .created)
            document["source"] = ["connection": "missing"]
            let missing = try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: f.keys["engineer"], body: .object(document))
            #expect(missing.status == .unprocessableContent)
            #expect(try Self.json(missing)["error"]?["field"] == "source.connection")
        }
    }

    @Test func previewShowsRecordsAfterEachStep() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            _ = try await call(client, .put, "/api/v1/tenants/acme/secrets/OUT_FILE", key: f.keys["acme-admin"], body: ["value": "p.ndjson"])
            let preview = try await call(client, .post, "/api/v1/tenants/acme/preview", key: f.keys["engineer"], body: ["document": Self.pipeline(f.dir), "limit": 2])
            #expect(preview.status == .ok)
            let v = try Self.json(preview)
            #expect(v["source"]?.arrayValue?.count == 2)
            #expect(v["steps[0].set"]?.arrayValue?.first?["amount"] == .number(2.5))
            #expect(v["errors"]?.arrayValue?.first?["code"] == "expr.D3030")
            #expect(try await call(client, .post, "/api/v1/tenants/acme/preview", key: f.keys["acme-viewer"], body: ["document": Self.pipeline(f.dir)]).status == .forbidden)
        }
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteIsRouted() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let router = f.api.buildRouter()
        try router.validate()
        // The web UI (`/`, `/index.html`, `/ui/…`) is not part of the API.
        let api = router.routes.filter { !["/", "/index.html"].contains("\($0.path)") && !"\($0.path)".hasPrefix("/ui/") }
        let routed = Set(api.map { r in
            "\(r.method.rawValue.lowercased()) " + "\(r.path)".split(separator: "/", omittingEmptySubsequences: false)
                .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : $0 == "**" ? "{path}" : String($0) }.joined(separator: "/")
        })
        let documented = Set(OpenAPIDocument.routes.map { "\($0.method) \($0.path)" })
        #expect(routed.subtracting(documented).isEmpty, "routed but not documented: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
    }

    @Test func everyDocumentedRouteExists() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            let doc = try Self.json(try await call(client, .get, "/api/v1/openapi.json", key: nil))
            #expect(doc["openapi"] == "3.1.0")
            let paths = doc["paths"]!.objectValue!
            #expect(paths.count == Set(OpenAPIDocument.routes.map(\.path)).count)
            for (path, item) in paths {
                for (method, _) in item.objectValue! {
                    let concrete = path.replacingOccurrences(of: "{tenant}", with: "acme").replacingOccurrences(of: "{version}", with: "1")
                        .replacingOccurrences(of: "{pipeline}", with: "x").replacingOccurrences(of: "{run}", with: "x").replacingOccurrences(of: "{key}", with: "x")
                        .replacingOccurrences(of: "{schedule}", with: "x").replacingOccurrences(of: "{name}", with: "X").replacingOccurrences(of: "{template}", with: "x")
                    let r = try await call(client, HTTPRequest.Method(method.uppercased())!, concrete, key: f.keys["admin"], body: [:])
                    // A path no route has is `no_route`, a method the path lacks 405; documented routes are neither.
                    let code = (try? Self.json(r))?["error"]?["code"]?.stringValue
                    #expect(r.status != .methodNotAllowed && code != "no_route", "\(method.uppercased()) \(path) is documented but not routed")
                }
            }
        }
    }
}
