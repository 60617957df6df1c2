import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OnrampConnectorKit
import OnrampCore
@testable import OnrampServer
import OnrampStore
import Testing

extension Sequence where Self: Sendable, Element: Sendable {
    /// The elements as an async sequence (a streamed request body in tests).
    var asStream: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}

/// A tenant's file area over the API: the round trip, the size limit, path tricks and who may do what.
@Suite struct FileAreaAPITests {
    func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, key: String?, raw: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: path, method: method, headers: headers, body: raw.map { ByteBuffer(string: $0) })
    }

    static func mode(_ path: String) throws -> Int? { try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int }

    @Test func uploadListDownloadDelete() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let root = TenantFileArea.root(dataDirectory: f.dir.path, tenant: "acme")
        try FileManager.default.removeItem(atPath: root + "/in")  // the fixture's pipeline input; these tests start empty
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let content = String(repeating: "id,amount\n1,2.5\n", count: 20_000)
            let put = try await call(client, .put, "/api/v1/tenants/acme/files/exports/2026/day%201.csv", key: f.keys["acme-admin"], raw: content)
            #expect(put.status == .ok)
            #expect(try APITests.json(put)["path"] == "exports/2026/day 1.csv")
            #expect(try APITests.json(put)["size"] == .number(Double(content.utf8.count)))
            #expect(try String(contentsOfFile: root + "/exports/2026/day 1.csv", encoding: .utf8) == content)
            #expect(try Self.mode(root + "/exports/2026/day 1.csv") == 0o600)
            #expect(try Self.mode(root + "/exports/2026") == 0o700)
            #expect(try await call(client, .put, "/api/v1/tenants/acme/files/top.txt", key: f.keys["engineer"], raw: "v1").status == .ok)
            #expect(try await call(client, .put, "/api/v1/tenants/acme/files/top.txt", key: f.keys["admin"], raw: "v2").status == .ok)
            // No temporary file is left beside the uploads.
            #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["exports", "top.txt"])

            let list = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/files", key: f.keys["acme-viewer"]))
            #expect(list["files"]?.arrayValue?.map { $0["path"]?.stringValue ?? "" } == ["exports/2026/day 1.csv", "top.txt"])
            #expect(list["files"]?.arrayValue?.last?["size"] == 2)
            #expect(list["files"]?.arrayValue?.last?["modified_at"]?.stringValue?.hasPrefix("20") == true)
            let filtered = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/files?prefix=exports/", key: f.keys["acme-viewer"]))
            #expect(filtered["files"]?.arrayValue?.count == 1)
            #expect(list["files"]?.arrayValue?.allSatisfy { $0["read_by"] == .array([]) } == true)

            // What the pipelines have read: an incremental file source's checkpoint names the file as it was read.
            let reader = await f.store.savePipeline(tenantId: "acme", name: "daily", document: APITests.pipeline(f.dir), at: Date())
            let other = await f.store.savePipeline(tenantId: "globex", name: "theirs", document: APITests.pipeline(f.dir), at: Date())
            let day = root + "/exports/2026/day 1.csv"
            await f.store.commit(pipeline: reader.pipelineId, checkpoint: ["files": .object([day: .string(try TenantFileArea.fingerprint(ofFileAt: day)),
                                                                                             root + "/gone.csv": "1:1"])])
            await f.store.commit(pipeline: other.pipelineId, checkpoint: ["files": .object([day: "1:1"])])
            func readers() async throws -> Value? {
                let list = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/files", key: f.keys["acme-viewer"]))
                return list["files"]?.arrayValue?.first { $0["path"] == "exports/2026/day 1.csv" }?["read_by"]
            }
            #expect(try await readers() == [["pipeline_id": .string(reader.pipelineId), "pipeline": "daily", "changed_since": false]])
            try "changed".write(toFile: day, atomically: false, encoding: .utf8)
            #expect(try await readers()?.arrayValue?.first?["changed_since"] == true)
            try content.write(toFile: day, atomically: false, encoding: .utf8)

            let download = try await call(client, .get, "/api/v1/tenants/acme/files/exports/2026/day%201.csv", key: f.keys["acme-viewer"])
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "application/octet-stream")
            #expect(String(buffer: download.body) == content)
            #expect(String(buffer: try await call(client, .get, "/api/v1/tenants/acme/files/top.txt", key: f.keys["acme-admin"]).body) == "v2")

            #expect(try await call(client, .delete, "/api/v1/tenants/acme/files/top.txt", key: f.keys["acme-admin"]).status == .noContent)
            #expect(try await call(client, .get, "/api/v1/tenants/acme/files/top.txt", key: f.keys["acme-admin"]).status == .notFound)
            #expect(try await call(client, .delete, "/api/v1/tenants/acme/files/top.txt", key: f.keys["acme-admin"]).status == .notFound)
            #expect(try await call(client, .get, "/api/v1/tenants/acme/files/exports", key: f.keys["acme-admin"]).status == .notFound)
        }
    }

    @Test func anUploadOverTheLimitIs413AndLeavesNothing() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        var api = f.api
        api.maxUploadBytes = 1000
        let root = TenantFileArea.root(dataDirectory: f.dir.path, tenant: "acme")
        try FileManager.default.removeItem(atPath: root + "/in")  // the fixture's pipeline input; these tests start empty
        try await Application(router: Conformance(api.buildRouter())).test(.router) { client in
            #expect(try await call(client, .put, "/api/v1/tenants/acme/files/small.csv", key: f.keys["acme-admin"],
                                   raw: String(repeating: "x", count: 1000)).status == .ok)
            let big = try await call(client, .put, "/api/v1/tenants/acme/files/big.csv", key: f.keys["acme-admin"], raw: String(repeating: "x", count: 1001))
            #expect(big.status == .contentTooLarge)
            #expect(try APITests.json(big)["error"]?["message"]?.stringValue?.contains("1000 bytes") == true)
            // Replacing an existing file with too much keeps the old one.
            #expect(try await call(client, .put, "/api/v1/tenants/acme/files/small.csv", key: f.keys["acme-admin"],
                                   raw: String(repeating: "y", count: 5000)).status == .contentTooLarge)
            #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["small.csv"])
            #expect(try String(contentsOfFile: root + "/small.csv", encoding: .utf8) == String(repeating: "x", count: 1000))
        }
    }

    /// A body with no (or a lying) Content-Length is cut off while streaming, and its temporary file removed.
    @Test func aStreamedBodyOverTheLimitIsCutOffWhileStreaming() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        var api = f.api
        api.maxUploadBytes = 10_000
        let area = TenantFileArea(dataDirectory: f.dir.path, tenant: "acme")
        try FileManager.default.removeItem(atPath: area.root + "/in")
        let target = try area.prepare("stream.bin")
        let chunks = (0..<8).map { _ in ByteBuffer(repeating: 0x41, count: 4096) }
        let error = await #expect(throws: APIError.self) {
            try await api.receive(RequestBody(asyncSequence: chunks.asStream), into: target, tenant: "acme")
        }
        #expect(error?.status == .contentTooLarge)
        #expect(try FileManager.default.contentsOfDirectory(atPath: area.root).isEmpty)
        #expect(try await api.receive(RequestBody(asyncSequence: Array(chunks.prefix(2)).asStream), into: target,
                                      tenant: "acme") == 8192)
        #expect(try FileManager.default.contentsOfDirectory(atPath: area.root) == ["stream.bin"])
        #expect(api.quota.used("acme") == 8192, "only the upload that was kept is counted")
    }

    /// The tenant's area holds at most --tenant-quota-mb: an upload past it is 413 naming the quota and the
    /// usage and leaves nothing; replacing and deleting files frees what they held; the figure is measured at
    /// start, when unfinished uploads are removed.
    @Test func uploadsStopAtTheTenantsQuota() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        var api = f.api
        let area = TenantFileArea(dataDirectory: f.dir.path, tenant: "acme")
        try? FileManager.default.removeItem(atPath: area.root)
        try FileManager.default.createDirectory(atPath: area.root + "/in", withIntermediateDirectories: true)
        try Data(count: 300_000).write(to: URL(fileURLWithPath: area.root + "/in/old.csv"))
        try Data(count: 5).write(to: URL(fileURLWithPath: area.root + "/in/.upload-0a1b"))
        try Data(count: 5).write(to: URL(fileURLWithPath: area.root + "/in/incoming-0a1b.upload"))
        let quota = TenantQuota(limit: 1 << 20)
        api.quota = quota
        #expect(api.quota.reconcile(dataDirectory: f.dir.path) == 2)
        #expect(api.quota.used("acme") == 300_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: area.root + "/in") == ["old.csv"])
        try await Application(router: Conformance(api.buildRouter())).test(.router) { client in
            let admin = f.keys["acme-admin"]
            func put(_ name: String, _ bytes: Int) async throws -> TestResponse {
                try await client.execute(uri: "/api/v1/tenants/acme/files/\(name)", method: .put,
                                         headers: [.authorization: "Bearer \(admin!)"],
                                         body: ByteBuffer(repeating: 0x41, count: bytes))
            }
            #expect(try await put("in/a.bin", 600_000).status == .ok)
            let over = try await put("in/b.bin", 200_000)
            let text = String(buffer: over.body)
            #expect(over.status == .contentTooLarge && text.contains("file.quota") && text.contains("1.0 MiB")
                    && text.contains("0.9 MiB"), "\(text)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: area.root + "/in").sorted() == ["a.bin", "old.csv"])
            #expect(quota.used("acme") == 900_000)
            // Replacing a file counts the new size only; deleting frees it.
            #expect(try await put("in/old.csv", 100_000).status == .ok)
            #expect(quota.used("acme") == 700_000)
            #expect(try await client.execute(uri: "/api/v1/tenants/acme/files/in/a.bin", method: .delete,
                                             headers: [.authorization: "Bearer \(admin!)"]).status == .noContent)
            #expect(quota.used("acme") == 100_000)
            #expect(try await put("in/b.bin", 200_000).status == .ok)
            let limits = try APITests.json(try await client.execute(uri: "/api/v1/limits", method: .get,
                                                                    headers: [.authorization: "Bearer \(admin!)"]))
            #expect(limits["files"]?["quota_bytes"] == .number(Double(1 << 20)), "\(limits)")
            // Racing deletes and replacements of one file free its size once: the count stays what the area holds.
            for _ in 0..<5 {
                #expect(try await put("in/race.bin", 50_000).status == .ok)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<6 {
                        group.addTask {
                            if i % 2 == 0 {
                                _ = try await client.execute(uri: "/api/v1/tenants/acme/files/in/race.bin", method: .delete,
                                                             headers: [.authorization: "Bearer \(admin!)"])
                            } else {
                                _ = try await put("in/race.bin", 50_000)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let onDisk = (try? FileManager.default.attributesOfItem(atPath: area.root + "/in/race.bin")[.size] as? Int) ?? 0
                #expect(quota.used("acme") == Int64(300_000 + onDisk), "\(quota.used("acme")) with \(onDisk) on disk")
            }
        }
    }

    @Test func pathTricksAre422WithTheFieldAndTouchNothingOutside() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let root = TenantFileArea.root(dataDirectory: f.dir.path, tenant: "acme")
        try FileManager.default.removeItem(atPath: root + "/in")  // the fixture's pipeline input; these tests start empty
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/up", withDestinationPath: f.dir.path)
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            for trick in ["..%2F..%2Fmaster.key", "%2e%2e/%2e%2e/x", "a/%2E%2E/%2E%2E/x", "%2Fetc%2Fpasswd", "a//b", ".hidden", "a%00b",
                          "a%0Ab", "%EF%BC%8E%EF%BC%8E/x", "up/in/a.csv", "up/escape.txt", "bad%zzescape",
                          String(repeating: "n", count: 300)] {
                for method in [HTTPRequest.Method.put, .get, .delete] {
                    let r = try await call(client, method, "/api/v1/tenants/acme/files/\(trick)", key: f.keys["admin"], raw: method == .put ? "x" : nil)
                    #expect(r.status == .unprocessableContent, "\(method) \(trick): \(r.status)")
                    #expect(try APITests.json(r)["error"]?["field"] == "path", "\(trick)")
                }
            }
        }
        #expect(!FileManager.default.fileExists(atPath: f.dir.path + "/escape.txt"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["up"])
    }

    @Test func viewersOnlyReadAndTenantsCannotReachEachOther() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            #expect(try await call(client, .put, "/api/v1/tenants/acme/files/a.csv", key: f.keys["acme-viewer"], raw: "x").status == .forbidden)
            #expect(try await call(client, .put, "/api/v1/tenants/acme/files/a.csv", key: f.keys["acme-admin"], raw: "acme data").status == .ok)
            #expect(try await call(client, .delete, "/api/v1/tenants/acme/files/a.csv", key: f.keys["acme-viewer"]).status == .forbidden)
            for method in [HTTPRequest.Method.put, .get, .delete] {
                let r = try await call(client, method, "/api/v1/tenants/acme/files/a.csv", key: f.keys["globex-admin"], raw: method == .put ? "x" : nil)
                #expect(r.status == .notFound)
            }
            #expect(try await call(client, .get, "/api/v1/tenants/acme/files", key: f.keys["globex-admin"]).status == .notFound)
            // Globex's own area does not see acme's file, even by a crafted name.
            #expect(try await call(client, .get, "/api/v1/tenants/globex/files/a.csv", key: f.keys["globex-admin"]).status == .notFound)
            #expect(try await call(client, .get, "/api/v1/tenants/globex/files/..%2Facme%2Ffiles%2Fa.csv", key: f.keys["globex-admin"]).status
                    == .unprocessableContent)
            let list = try APITests.json(try await call(client, .get, "/api/v1/tenants/globex/files", key: f.keys["globex-admin"]))
            #expect(list["files"] == [])
            #expect(String(buffer: try await call(client, .get, "/api/v1/tenants/acme/files/a.csv", key: f.keys["acme-viewer"]).body) == "acme data")
            #expect(try await call(client, .get, "/api/v1/tenants/nope/files", key: f.keys["admin"]).status == .notFound)
        }
    }
}
