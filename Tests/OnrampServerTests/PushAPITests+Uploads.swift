import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OnrampAgent
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampScheduler
@testable import OnrampServer
import OnrampStore
import Testing

/// Batches pushed in resumable chunks, and batch windows.
extension PushAPITests {
    func patch(_ client: some TestClientProtocol, _ id: String, _ bytes: [UInt8], key: String, offset: Int,
               length: Int? = nil, checksum: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/octet-stream",
                                   HTTPField.Name("Upload-Offset")!: String(offset)]
        if let length { headers[HTTPField.Name("Upload-Length")!] = String(length) }
        if let checksum { headers[HTTPField.Name("Upload-Checksum")!] = "sha256=" + checksum }
        return try await client.execute(uri: "/api/v1/push/uploads/\(id)", method: .patch, headers: headers,
                                        body: ByteBuffer(bytes: bytes))
    }

    /// A batch in chunks: each chunk durable and sealed before its 202, a chunk from the wrong place refused with where
    /// the upload stands, the last one storing the batch once (its checksum checked), and a lost answer harmless.
    @Test func aBatchSentInChunksResumesWhereItStoodAndIsStoredOnce() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let (pid, key) = try await setUp(client, f, Self.pipeline(runOnArrival: false))
            var text = ""
            for i in 0..<40 { text += "{\"id\":\"ORD-\(i)\",\"amount\":\"\(i).25\",\"note\":\"SECRET-NOTE\"}\n" }
            let bytes = Array(text.utf8)
            let sum = Hex.string(SHA256.hash(data: bytes))
            let header = HTTPField.Name("Upload-Offset")!
            #expect(try await call(client, .get, "/api/v1/push/uploads/big", key: key).status == .notFound)
            // The first chunk says the length; one from elsewhere is refused with where the upload stands.
            #expect(try await patch(client, "big", Array(bytes[0..<10]), key: key, offset: 0).status == .unprocessableContent)
            let first = try await patch(client, "big", Array(bytes[0..<500]), key: key, offset: 0, length: bytes.count,
                                        checksum: sum)
            #expect(first.status == .accepted && first.headers[header] == "500")
            let wrong = try await patch(client, "big", Array(bytes[100..<600]), key: key, offset: 100)
            #expect(wrong.status == .conflict && wrong.headers[header] == "500" && Self.j(wrong)["error"]?["code"] == "push.upload_offset")
            #expect(try await patch(client, "big", Array(bytes[500...]) + [0x41], key: key, offset: 500).status == .contentTooLarge)
            let standing = Self.j(try await call(client, .get, "/api/v1/push/uploads/big", key: key))
            #expect(standing["offset"] == 500 && standing["length"] == .number(Double(bytes.count)))
            // Chunks at rest are sealed: none of the records' text is on disk.
            let folder = f.dir.appendingPathComponent("push/.uploads").path
            for case let file as String in FileManager.default.enumerator(atPath: folder)! where file.hasSuffix(".chunk") {
                let data = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(file)"))
                #expect(!String(decoding: data, as: UTF8.self).contains("SECRET-NOTE"), "\(file) holds the records in clear")
            }
            let middle = try await patch(client, "big", Array(bytes[500..<1200]), key: key, offset: 500)
            #expect(middle.status == .accepted && Self.j(middle)["offset"] == 1200)
            let last = try await patch(client, "big", Array(bytes[1200...]), key: key, offset: 1200)
            #expect(last.status == .created && Self.j(last)["sha256"] == .string(sum) && Self.j(last)["sequence"] == 1)
            #expect(try await call(client, .get, "/api/v1/push/uploads/big", key: key).status == .notFound)
            // The last answer lost: starting again with the same checksum is the stored batch, not a second one.
            let again = try await patch(client, "big", Array(bytes[0..<500]), key: key, offset: 0, length: bytes.count, checksum: sum)
            #expect(again.status == .ok && Self.j(again)["duplicate"] == true)
            #expect(try await patch(client, "big", Array(bytes[0..<500]), key: key, offset: 0, length: bytes.count).status
                    == .conflict)  // no checksum: the id is taken
            // Bytes that do not add up to the checksum announced: the upload is dropped, nothing stored.
            #expect(try await patch(client, "odd", Array(bytes[0..<10]), key: key, offset: 0, length: 20, checksum: sum).status
                    == .accepted)
            let bad = try await patch(client, "odd", Array(bytes[10..<20]), key: key, offset: 10)
            #expect(bad.status == .unprocessableContent && Self.j(bad)["error"]?["code"] == "push.upload_checksum")
            #expect(try await call(client, .get, "/api/v1/push/uploads/odd", key: key).status == .notFound)
            // An upload can be abandoned.
            #expect(try await patch(client, "gone", Array(bytes[0..<10]), key: key, offset: 0, length: 20).status == .accepted)
            #expect(try await call(client, .delete, "/api/v1/push/uploads/gone", key: key).status == .noContent)
            #expect(try await call(client, .get, "/api/v1/push/uploads/gone", key: key).status == .notFound)
            // The stored batch reads back as sent.
            let worker = Task { try await f.api.worker!.run() }
            defer { worker.cancel() }
            let run = try APITests.json(try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/runs",
                                                       key: f.keys["acme-admin"], body: [:]))
            let done = try await finished(client, run["id"]!.stringValue!, key: f.keys["acme-viewer"])
            #expect(done["summary"]?["records_written"] == 40, "\(done)")
        }
    }

    /// With a batch window, the run a batch queues waits the window, and reads every batch that arrived in it.
    @Test func aBatchWindowMakesOneRunOfTheBatchesThatArriveInIt() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            var document = Self.pipeline().objectValue!
            document["source"] = ["connector": "push", "config": ["format": "ndjson", "window_seconds": 2]]
            let (pid, key) = try await setUp(client, f, .object(document))
            let before = Date()
            for i in 1...3 {
                #expect(try await push(client, "w\(i)", Array("{\"id\":\"ORD-\(i)\",\"amount\":\"1\"}\n".utf8), key: key).status
                        == .created)
            }
            let queued = try await runs(client, pid, key: f.keys["acme-viewer"])
            #expect(queued.count == 1 && queued.first?["state"] == "queued", "\(queued)")
            let due = try #require(queued.first?["not_before"]?.stringValue.flatMap(ISOTime.date))
            #expect(due > before.addingTimeInterval(0.9) && due < Date().addingTimeInterval(2.5))  // whole seconds on the wire
            // The worker starts after the pushes (on a loaded machine they may take longer than the window).
            let worker = Task { try await f.api.worker!.run() }
            defer { worker.cancel() }
            let run = try await finished(client, queued[0]["id"]!.stringValue!, key: f.keys["acme-viewer"])
            #expect(run["summary"]?["records_written"] == 3, "\(run)")
            let started = try #require(run["started_at"]?.stringValue.flatMap(ISOTime.date))
            #expect(started.timeIntervalSince(due) > -1, "started \(started) before its window ended at \(due)")
            #expect(try await runs(client, pid, key: f.keys["acme-viewer"]).count == 1)
            // A run wanted now (a backlog's) is queued beside a held-back one, once.
            worker.cancel()
            #expect(try await push(client, "w4", Array("{\"id\":\"ORD-4\",\"amount\":\"1\"}\n".utf8), key: key).status == .created)
            let latest = try #require(try await f.store.pipeline(id: pid, version: nil))
            #expect(try await RunWorker.queuePushRun(store: f.store, pipeline: latest, window: 2) == false)
            #expect(try await RunWorker.queuePushRun(store: f.store, pipeline: latest, window: 0))
            #expect(try await RunWorker.queuePushRun(store: f.store, pipeline: latest, window: 0) == false)
        }
    }
}
