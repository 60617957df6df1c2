import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OnrampCore
@testable import OnrampServer
import Testing

/// The OpenAPI document as a contract: every JSON body has a schema, every reference resolves, links name real
/// operations, the error codes are one list (in the sources, the document and docs/api.md), and lists page alike.
@Suite struct OpenAPIContractTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func everyJSONBodyHasASchemaAndEveryReferenceResolves() throws {
        for r in OpenAPIDocument.routes {
            let name = "\(r.method.uppercased()) \(r.path)"
            if r.success != 204 && OpenAPIDocument.contentTypes(r).contains("application/json") {
                #expect(r.response != nil, "\(name) answers JSON without a response schema")
            }
            let body = OpenAPIDocument.operation(r)["requestBody"]?["content"]?["application/json"]
            #expect(body == nil || r.request != nil, "\(name) takes JSON without a request schema")
        }
        var refs: [String] = []
        func walk(_ v: Value) {
            switch v {
            case .object(let o):
                if let ref = o["$ref"]?.stringValue { refs.append(ref) }
                o.values.forEach(walk)
            case .array(let a): a.forEach(walk)
            default: break
            }
        }
        walk(OpenAPIDocument.document)
        #expect(refs.count > 100)
        for ref in Set(refs) {
            let parts = ref.split(separator: "/").dropFirst().map(String.init)
            var node: Value? = OpenAPIDocument.document
            for p in parts { node = node?[p] }
            #expect(node != nil, "\(ref) does not resolve")
        }
    }

    @Test func linksNameRealOperationsAndTheirParameters() throws {
        var operations: [String: OpenAPIDocument.Route] = [:]
        for r in OpenAPIDocument.routes { operations[OpenAPIDocument.operationId(r)] = r }
        var count = 0
        for (from, links) in OpenAPIDocument.links {
            #expect(operations[from] != nil)
            for (_, link) in links {
                let target = try #require(operations[link["operationId"]?.stringValue ?? ""])
                let wanted = Set(target.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
                #expect(Set(link["parameters"]?.objectValue?.keys.map { $0 } ?? []) == wanted, "\(from) -> \(target.path)")
                count += 1
            }
        }
        #expect(count == OpenAPIDocument.linkTable.count, "a link names an operation the table does not have")
    }

    @Test func theCheckerFindsWhatIsWrongAndWhere() throws {
        let check = OpenAPISchemaCheck()
        let run = OnrampAPI.runValue(.init(id: "r1", tenantId: "acme", pipelineId: "p", pipelineVersion: 1, trigger: "api",
                                           createdAt: Date()))
        let schema = SchemaBuilder.ref("Run")
        #expect(check.problem(run, against: schema) == nil)
        guard case .object(var o) = run else { Issue.record("not an object"); return }
        o["state"] = "exploded"
        #expect(check.problem(.object(o), against: schema)?.path == "$.state")
        o["state"] = "queued"
        o["surprise"] = 1
        #expect(check.problem(.object(o), against: schema)?.path == "$.surprise")
        o["surprise"] = nil
        var summary = try #require(o["summary"]?.objectValue)
        summary["records_read"] = "12"
        o["summary"] = .object(summary)
        #expect(check.problem(.object(o), against: schema)?.path == "$.summary.records_read")
        o["summary"] = nil
        #expect(check.problem(.object(o), against: schema)?.message == "is required but missing")
        #expect(check.problem(["error": ["code": "spec.unknown_key", "message": "m"]], against: SchemaBuilder.ref("Error")) == nil)
        #expect(check.problem(["error": ["code": "made_up", "message": "m"]], against: SchemaBuilder.ref("Error"))?.path
                == "$.error.code")
        #expect(check.problem(["created_at": "yesterday"], against: ["properties": ["created_at": SchemaBuilder.dateTime]]) != nil)
    }

    /// Handlers that drift from the document are caught: a tenant answered with a number for its id, a body the
    /// schema refuses that was accepted anyway, and an error with a code not in the list.
    @Test func theCheckerFailsTheTestThatGotADriftedAnswer() async throws {
        let router = Router(context: OnrampRequestContext.self)
        router.get("/api/v1/tenants/:tenant") { _, _ in JSONResponse.make(["id": 5, "name": "acme", "created_at": "2026-12-02T06:00:00Z"]) }
        router.post("/api/v1/tenants") { _, _ in
            JSONResponse.make(["id": "acme", "name": "acme", "created_at": "2026-12-02T06:00:00Z"], status: .created)
        }
        router.get("/api/v1/tenants") { _, _ -> Response in throw APIError(.conflict, "surprise", "not in the list") }
        try await Application(router: Conformance(router)).test(.router) { client in
            try await withKnownIssue {
                _ = try await client.execute(uri: "/api/v1/tenants/acme", method: .get)
            } matching: { issue in
                "\(issue)".contains("GET /api/v1/tenants/{tenant} answered 200") && "\(issue)".contains("$.id: must be string")
            }
            try await withKnownIssue {
                _ = try await client.execute(uri: "/api/v1/tenants", method: .post, body: APITests.body(["id": 7]))
            } matching: { issue in
                "\(issue)".contains("POST /api/v1/tenants accepted (201)") && "\(issue)".contains("$.id: must be string")
            }
            try await withKnownIssue {
                _ = try await client.execute(uri: "/api/v1/tenants", method: .get)
            } matching: { issue in
                "\(issue)".contains("GET /api/v1/tenants answered 409") && "\(issue)".contains("$.error.code")
            }
        }
    }

    /// Every code a server source answers with literally is in the list, with the status it is answered with.
    @Test func everyErrorCodeIsInTheListWithItsStatus() throws {
        let statuses = ["badRequest": 400, "unauthorized": 401, "forbidden": 403, "notFound": 404, "methodNotAllowed": 405,
                        "conflict": 409, "contentTooLarge": 413, "unprocessableContent": 422, "tooManyRequests": 429,
                        "internalServerError": 500, "serviceUnavailable": 503]
        let folder = Self.root.appendingPathComponent("Sources/OnrampServer")
        var found = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let pattern = try NSRegularExpression(pattern: #"APIError\(\s*\.([a-zA-Z]+),\s*"([^"]+)""#)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let status = String(text[Range(m.range(at: 1), in: text)!])
                let code = String(text[Range(m.range(at: 2), in: text)!])
                found += 1
                let listed = APIErrorCode(rawValue: code)
                #expect(listed != nil, "\(name) answers \(code), which is not in APIErrorCode")
                #expect(listed == nil || statuses[status] == listed?.status, "\(name) answers \(code) with .\(status)")
            }
        }
        #expect(found > 80)
        for code in ["spec.unknown_key", "config.missing", "expr.D3030", "file.quota", "cron.fields", "preview.crashed"] {
            #expect(APIErrorCode.isDocumented(code), "\(code)")
        }
        #expect(!APIErrorCode.isDocumented("surprise") && !APIErrorCode.isDocumented("nope.x"))
    }

    /// An in-process API test that skipped the checker would let the document drift unseen.
    @Test func everyInProcessAPITestRunsThroughTheChecker() throws {
        let folder = Self.root.appendingPathComponent("Tests/OnrampServerTests")
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let unchecked = text.components(separatedBy: "Application(router" + ": ").dropFirst()
                .filter { !$0.hasPrefix("Conformance(") }
            #expect(unchecked.isEmpty, "\(name) builds an Application without Conformance(…)")
        }
    }

    @Test func docsListEveryErrorCode() throws {
        let docs = try String(contentsOf: Self.root.appendingPathComponent("docs/api.md"), encoding: .utf8)
        for code in APIErrorCode.allCases {
            #expect(docs.contains("| `\(code.rawValue)` | \(code.status) |"), "docs/api.md lacks the row of \(code.rawValue)")
        }
        for family in APIErrorCode.families { #expect(docs.contains("`\(family.prefix).…`"), "\(family.prefix)") }
    }

    /// Pipelines, schedules, connections, users, API keys and files page as runs do: `limit`, `cursor`, `next_cursor`.
    @Test func everyListPagesTheSameWay() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let admin = f.keys["admin"]!
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            func call(_ method: HTTPRequest.Method, _ path: String, _ body: Value? = nil) async throws -> TestResponse {
                try await client.execute(uri: path, method: method, headers: [.authorization: "Bearer \(admin)"],
                                         body: body.map(APITests.body))
            }
            let t = "/api/v1/tenants/acme"
            var pipeline = try #require(APITests.pipeline(f.dir).objectValue)
            for name in ["a", "b", "c"] {
                #expect(try await call(.put, "\(t)/connections/c-\(name)", ["connector": "csv", "config": ["path": "in/*.csv"]]).status == .ok)
                pipeline["name"] = .string("p-\(name)")
                let saved = try APITests.json(try await call(.post, "\(t)/pipelines", .object(pipeline)))
                #expect(try await call(.post, "\(t)/pipelines/\(saved["id"]!.stringValue!)/schedules", ["cron": "0 * * * *"]).status == .created)
                #expect(try await call(.post, "\(t)/users", ["email": .string("\(name)@acme.test"), "role": "tenant_viewer"]).status == .created)
                #expect(try await call(.post, "\(t)/api-keys", ["name": .string(name), "role": "tenant_viewer"]).status == .created)
                #expect(try await call(.put, "\(t)/files/paged/\(name).txt", nil).status == .ok)
            }
            for (list, key) in [("pipelines", "pipelines"), ("schedules", "schedules"), ("connections", "connections"),
                                ("users", "users"), ("api-keys", "api_keys"), ("files?prefix=paged", "files")] {
                let all = try APITests.json(try await call(.get, "\(t)/\(list)"))
                let total = all[key]?.arrayValue?.count ?? 0
                #expect(total >= 3 && all["next_cursor"] == .null, "\(list)")
                var seen: [Value] = []
                var cursor: String?
                let joiner = list.contains("?") ? "&" : "?"
                for _ in 0..<10 {
                    let query = "\(joiner)limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = try APITests.json(try await call(.get, "\(t)/\(list)\(query)"))
                    let items = page[key]?.arrayValue ?? []
                    #expect(items.count <= 2)
                    seen += items
                    guard let next = page["next_cursor"]?.stringValue else { break }
                    cursor = next
                }
                func ids(_ items: [Value]) -> [Value] { items.map { $0["id"] ?? $0["name"] ?? $0["path"] ?? .null } }
                #expect(ids(seen) == ids(all[key]?.arrayValue ?? []), "\(list): the pages together are the whole list, in order")
                let bad = try await call(.get, "\(t)/\(list)\(joiner)cursor=bm9wZQ")
                let badField = try APITests.json(bad)["error"]?["field"]
                #expect(bad.status == .unprocessableContent && badField == "cursor")
            }
        }
    }
}
