import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OnrampCore
@testable import OnrampServer
import Testing

/// Reference tables over the API: CSV uploads checked row by row, each a new version, listed and downloaded; a
/// lookup uses the latest or the version it names; only the tenant's writers change them.
@Suite struct ReferenceTableTests {
    func send(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, key: String?,
              text: String? = nil, json: Value? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        let body = text.map { ByteBuffer(string: $0) } ?? json.map(APITests.body)
        return try await client.execute(uri: path, method: method, headers: headers, body: body)
    }

    @Test func versionsUploadsAndLookups() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        let base = "/api/v1/tenants/acme/reference-tables"
        try await app.test(.router) { client in
            let admin = f.keys["acme-admin"]
            let v1 = try await send(client, .put, "\(base)/labels", key: admin, text: "id,label\n1,one\n3,three\n")
            let made = try APITests.json(v1)
            #expect(v1.status == .created && made["version"] == 1 && made["rows"] == 2)
            let bad = try await send(client, .put, "\(base)/labels", key: admin, text: "id,label\n1,one\n\"open,x\n")
            #expect(bad.status == .unprocessableContent && String(buffer: bad.body).contains("line 3"), "\(String(buffer: bad.body))")
            #expect(try await send(client, .put, "\(base)/labels", key: admin, text: "").status == .unprocessableContent)
            let v2 = try await send(client, .put, "\(base)/labels", key: admin, text: "id,label\n1,uno\n3,tres\n")
            let second = try APITests.json(v2)
            #expect(second["version"] == 2)
            // Readers see them; writers only change them; names are checked; other tenants see nothing.
            let list = try APITests.json(try await send(client, .get, base, key: f.keys["acme-viewer"]))
            #expect(list["reference_tables"]?.arrayValue?.first?["latest_version"] == 2, "\(list)")
            #expect(list["reference_tables"]?.arrayValue?.first?["versions"]?.arrayValue?.count == 2)
            let old = try await send(client, .get, "\(base)/labels/versions/1", key: f.keys["acme-viewer"])
            #expect(String(buffer: old.body) == "id,label\n1,one\n3,three\n")
            #expect(try await send(client, .put, "\(base)/labels", key: f.keys["acme-viewer"], text: "id\n1\n").status == .forbidden)
            #expect(try await send(client, .put, "\(base)/..%2Fx", key: admin, text: "id\n1\n").status == .unprocessableContent)
            #expect(try await send(client, .get, "/api/v1/tenants/globex/reference-tables/labels", key: f.keys["globex-admin"])
                .status == .notFound)
            #expect(try await send(client, .get, "\(base)/labels/versions/9", key: admin).status == .notFound)
            // Versions change through nothing else: not the files API, not a destination.
            let forged = try await send(client, .put, "/api/v1/tenants/acme/files/reference-tables/labels/v999999999999.csv",
                                        key: admin, text: "id,label\n1,evil\n")
            #expect(forged.status == .conflict, "\(String(buffer: forged.body))")
            #expect(try await send(client, .delete, "/api/v1/tenants/acme/files/reference-tables/labels/v1.csv", key: admin)
                .status == .conflict)
            var writer = APITests.pipeline(f.dir).objectValue!
            writer["destination"] = ["connector": "file", "config": ["path": "reference-tables/labels/v3.csv"]]
            let refused = try await send(client, .post, "/api/v1/tenants/acme/preview", key: admin, json: ["document": .object(writer)])
            #expect(String(buffer: refused.body).contains("file.reserved"), "\(String(buffer: refused.body))")
            // A lookup on the latest version, and on version 1.
            func preview(_ table: Value) async throws -> [Value] {
                var doc = APITests.pipeline(f.dir).objectValue!
                doc["steps"] = [["lookup": ["table": table, "on": ["id": "id"], "set": ["label": "label"], "missing": "keep"]]]
                let answer = try await send(client, .post, "/api/v1/tenants/acme/preview", key: admin, json: ["document": .object(doc)])
                let out = try APITests.json(answer)
                return out["steps[0].lookup"]?.arrayValue ?? [out]
            }
            #expect(try await preview(["reference": "labels"]).map { $0["label"] ?? nil } == ["uno", nil, "tres"])
            #expect(try await preview(["reference": "labels", "version": 1]).map { $0["label"] ?? nil } == ["one", nil, "three"])
            let missing = try await preview(["reference": "nothing"])
            #expect(missing.first?["error"]?["field"]?.stringValue?.hasSuffix("steps[0].lookup.table.reference") == true, "\(missing)")
        }
    }
}
