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

/// Push ingestion in process on a memory store with a real worker: push keys, durable and idempotent batches,
/// runs on arrival that read each batch once and in order, limits, and many pushers at once.
@Suite struct PushAPITests {
    struct Fixture {
        let api: OnrampAPI
        let store: MemoryStore
        let dir: URL
        let keys: [String: String]
    }

    static func fixture(limits: OnrampAPI.PushLimits = .init(), batchesPerRun: Int = 1000) async throws -> Fixture {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-push-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("tenants/acme/files"), withIntermediateDirectories: true)
        let store = MemoryStore()
        var registry = ConnectorRegistry()
        FileConnectors.register(into: &registry)
        AgentConnectors.register(into: &registry)
        let box = SecretBox(key: SymmetricKey(size: .bits256))
        let artifacts = RunArtifacts(sealer: ArtifactSealer(box: box))
        let pushed = PushBatchFiles(dataDirectory: dir.path, artifacts: artifacts)
        var options = RunWorker.Options(dataDirectory: dir.path)
        options.lease = 30
        options.pushBatchesPerRun = batchesPerRun
        let worker = RunWorker(store: store, registry: registry, options: options,
                               sealArtifact: { try await artifacts.seal(run: $0, attempt: $1, key: $2, path: $3) },
                               unsealBatch: { try await pushed.unseal($0, to: $1) })
        var api = OnrampAPI(store: store, registry: registry, worker: worker, secretBox: box, dataDirectory: dir.path)
        api.artifacts = artifacts
        api.pushLimits = limits
        for tenant in ["acme", "globex"] { _ = await store.createTenant(TenantRecord(id: tenant, name: tenant, createdAt: Date())) }
        var keys: [String: String] = [:]
        for (label, role, tenant) in [("engineer", Role.engineer, nil), ("acme-admin", .tenantAdmin, "acme"),
                                      ("acme-viewer", .tenantViewer, "acme"), ("globex-admin", .tenantAdmin, "globex")]
            as [(String, Role, String?)] {
            await store.createKey(APIKeyRecord(id: label, name: label, role: role, tenantId: tenant,
                                               secretHash: AuthMiddleware.hash("secret-\(label)"), createdAt: Date()))
            keys[label] = "secret-\(label)"
        }
        return Fixture(api: api, store: store, dir: dir, keys: keys)
    }

    static func pipeline(runOnArrival: Bool = true, name: String = "pushed") -> Value {
        ["version": 1, "name": .string(name),
         "source": ["connector": "push", "config": ["format": "ndjson", "run_on_arrival": .bool(runOnArrival)]],
         "steps": [["set": ["total": "$number(amount) * 2"]]],
         "destination": ["connector": "file", "config": ["path": .string("\(name).ndjson")]]]
    }

    func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, key: String?,
              body: Value? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map(APITests.body))
    }

    func push(_ client: some TestClientProtocol, _ id: String, _ bytes: [UInt8], key: String?) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-ndjson"]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: "/api/v1/push/batches/\(id)", method: .put, headers: headers,
                                        body: ByteBuffer(bytes: bytes))
    }

    func setUp(_ client: some TestClientProtocol, _ f: Fixture, _ document: Value = pipeline()) async throws -> (pid: String, key: String) {
        let saved = try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: f.keys["engineer"], body: document)
        #expect(saved.status == .created)
        let pid = try APITests.json(saved)["id"]!.stringValue!
        let created = try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/push-keys", key: f.keys["acme-admin"],
                                     body: ["name": "edge"])
        #expect(created.status == .created)
        return (pid, try APITests.json(created)["key"]!.stringValue!)
    }

    func finished(_ client: some TestClientProtocol, _ runId: String, key: String?) async throws -> Value {
        for _ in 0..<500 {
            let run = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/runs/\(runId)", key: key))
            if run["state"] != "queued" && run["state"] != "running" { return run }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("run \(runId) did not finish")
        return .null
    }

    func runs(_ client: some TestClientProtocol, _ pid: String, key: String?) async throws -> [Value] {
        try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/runs?pipeline_id=\(pid)", key: key))["runs"]?
            .arrayValue ?? []
    }

    /// The body as JSON (null when it is not), for checks inside one expectation.
    static func j(_ r: TestResponse) -> Value { (try? APITests.json(r)) ?? .null }

    static func gzip(_ text: String) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-c"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return [UInt8](data)
    }

    @Test func batchesAreStoredSealedOnceAndEachRunReadsTheNewOnesInOrder() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let (pid, key) = try await setUp(client, f)
            #expect(key.hasPrefix("onp_"))
            // Keys: the tenant's admins and engineers make them; a viewer may not, another tenant sees no pipeline.
            #expect(try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/push-keys", key: f.keys["acme-viewer"],
                                   body: [:]).status == .forbidden)
            #expect(try await call(client, .post, "/api/v1/tenants/globex/pipelines/\(pid)/push-keys", key: f.keys["globex-admin"],
                                   body: [:]).status == .notFound)
            let listed = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/pipelines/\(pid)/push-keys",
                                                          key: f.keys["acme-admin"]))
            #expect(listed["push_keys"]?.arrayValue?.count == 1 && !JSONWriter.string(listed).contains(key))

            // A push key pushes and does nothing else; an API key does not push.
            #expect(try await call(client, .get, "/api/v1/tenants/acme/runs", key: key).status == .unauthorized)
            let first = Array("{\"id\":\"ORD-1\",\"amount\":\"2.5\"}\n{not json\n{\"id\":\"ORD-2\",\"amount\":\"4\"}\n".utf8)
            #expect(try await push(client, "b1", first, key: f.keys["acme-admin"]).status == .unauthorized)
            let stored = try await push(client, "b1", first, key: key)
            #expect(stored.status == .created)
            let b1 = try APITests.json(stored)
            #expect(b1["sequence"] == 1 && b1["state"] == "pending" && b1["duplicate"] == false && b1["gzip"] == false)
            #expect(b1["sha256"]?.stringValue == Hex.string(SHA256.hash(data: first)))
            // The same batch again is acknowledged, not stored twice; the same id with other bytes is refused.
            let again = try await push(client, "b1", first, key: key)
            #expect(again.status == .ok && Self.j(again)["duplicate"] == true && Self.j(again)["sequence"] == 1)
            let reused = try await push(client, "b1", Array("{\"id\":\"X\"}\n".utf8), key: key)
            #expect(reused.status == .conflict && Self.j(reused)["error"]?["code"] == "push.batch_reused")
            let zipped = try await push(client, "b2", try Self.gzip("{\"id\":\"ORD-3\",\"amount\":\"1.25\"}\n{\"id\":\"ORD-4\",\"amount\":\"10\"}\n"),
                                        key: key)
            #expect(zipped.status == .created && Self.j(zipped)["sequence"] == 2 && Self.j(zipped)["gzip"] == true)
            #expect(try APITests.json(try await call(client, .get, "/api/v1/push/batches/b2", key: key))["state"] == "pending")
            #expect(try await call(client, .get, "/api/v1/push/batches/b9", key: key).status == .notFound)

            // At rest the batches are sealed: no order id in any file under push/.
            let folder = f.dir.appendingPathComponent("push/acme/\(pid)")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(files.count == 2 && files.allSatisfy { $0.hasSuffix(".sealed") })
            for name in files {
                let data = try Data(contentsOf: folder.appendingPathComponent(name))
                #expect(data.starts(with: Data("ONRAMPA2".utf8)) && !String(decoding: data, as: UTF8.self).contains("ORD-"))
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: f.dir.appendingPathComponent("push/.incoming").path).isEmpty)

            // The first batch queued a run; the second found it queued and joins it.
            let queued = try await runs(client, pid, key: f.keys["acme-viewer"])
            #expect(queued.count == 1 && queued.first?["trigger"] == "push" && queued.first?["state"] == "queued")
            let worker = Task { try await f.api.worker!.run() }
            defer { worker.cancel() }
            let run1 = try await finished(client, queued[0]["id"]!.stringValue!, key: f.keys["acme-viewer"])
            #expect(run1["state"] == "succeeded_with_errors")
            #expect(run1["summary"]?["records_read"] == 5 && run1["summary"]?["records_written"] == 4, "\(run1["summary"] ?? .null)")
            #expect(run1["summary"]?["failed_by_stage"]?["extract"] == 1)
            let out = try String(contentsOf: f.dir.appendingPathComponent("tenants/acme/files/pushed.ndjson"), encoding: .utf8)
            #expect(out.split(separator: "\n").map { (try? JSONParser.parse(String($0)))?["id"]?.stringValue }
                    == ["ORD-1", "ORD-2", "ORD-3", "ORD-4"])
            #expect(out.contains("\"total\":5") && out.contains("\"total\":2.5"))
            // The bad line is an error naming the batch and its line; the records around it went on.
            let errors = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/runs/\(queued[0]["id"]!.stringValue!)/errors?format=json",
                                                          key: f.keys["acme-viewer"]))
            let error = try #require(errors["errors"]?.arrayValue?.first)
            #expect(error["file"] == "push:b1" && error["line"] == 2 && error["stage"] == "extract", "\(error)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: f.dir.appendingPathComponent("runs/\(queued[0]["id"]!.stringValue!)").path)
                .allSatisfy { $0.hasSuffix(".sealed") })

            // The customer sees every batch and which run processed it.
            let batches = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/pipelines/\(pid)/batches",
                                                           key: f.keys["acme-viewer"]))
            #expect(batches["batches"]?.arrayValue?.map { $0["batch_id"] } == ["b2", "b1"])
            #expect(batches["batches"]?.arrayValue?.allSatisfy { $0["state"] == "processed" && $0["run_id"] == queued[0]["id"] } == true)
            #expect(batches["pending_bytes"] == 0)
            #expect(try await call(client, .get, "/api/v1/tenants/globex/pipelines/\(pid)/batches", key: f.keys["globex-admin"]).status
                    == .notFound)

            // A later batch is a run of its own that reads only it; a full re-sync reads them all again.
            #expect(try await push(client, "b3", Array("{\"id\":\"ORD-5\",\"amount\":\"3\"}\n".utf8), key: key).status == .created)
            var second: Value = .null
            for _ in 0..<250 {
                if let run = try await runs(client, pid, key: f.keys["acme-viewer"]).first(where: { $0["id"] != queued[0]["id"] }) {
                    second = try await finished(client, run["id"]!.stringValue!, key: f.keys["acme-viewer"])
                    break
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(second["state"] == "succeeded" && second["summary"]?["records_read"] == 1)
            let resync = try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/runs", key: f.keys["acme-admin"],
                                        body: ["full_resync": true])
            let third = try await finished(client, try APITests.json(resync)["id"]!.stringValue!, key: f.keys["acme-viewer"])
            #expect(third["summary"]?["records_read"] == 6 && third["summary"]?["records_written"] == 5)

            // A revoked key pushes no more.
            let keyId = try #require(listed["push_keys"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(try await call(client, .delete, "/api/v1/tenants/acme/pipelines/\(pid)/push-keys/\(keyId)", key: f.keys["acme-admin"])
                .status == .noContent)
            #expect(try await push(client, "b4", Array("{}\n".utf8), key: key).status == .unauthorized)
        }
    }

    @Test func limitsAndBadRequestsAreRefusedWithWhatAndWhy() async throws {
        var limits = OnrampAPI.PushLimits()
        limits.maxBatchBytes = 64
        limits.maxPendingBytes = 100
        limits.rate = 0.001  // no refill however slow the machine: the burst is all there is
        limits.burst = 6
        let f = try await Self.fixture(limits: limits)
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let (_, key) = try await setUp(client, f, Self.pipeline(runOnArrival: false))
            let line = Array("{\"id\":\"ORD-1\",\"amount\":\"1\",\"pad\":\"xxxxxxxxxxxxxxxxxxxx\"}\n".utf8)
            // A pipeline that does not read pushed batches takes none.
            var other = Self.pipeline(name: "files").objectValue!
            other["source"] = ["connector": "ndjson", "config": ["path": "in.ndjson"]]
            let (_, otherKey) = try await setUp(client, f, .object(other))
            let refused = try await push(client, "x1", line, key: otherKey)
            #expect(refused.status == .conflict && Self.j(refused)["error"]?["code"] == "push.not_push_source")
            let big = try await push(client, "big", [UInt8](repeating: 0x41, count: 65), key: key)
            #expect(big.status == .contentTooLarge && Self.j(big)["error"]?["code"] == "too_large")
            let empty = try await push(client, "empty", [], key: key)
            #expect(empty.status == .unprocessableContent && Self.j(empty)["error"]?["field"] == "body")
            let badId = try await push(client, "..%2F..%2Fetc", Array("{}\n".utf8), key: key)
            #expect(badId.status == .unprocessableContent && Self.j(badId)["error"]?["field"] == "batch_id")
            #expect(line.count < 64)
            #expect(try await push(client, "p1", line, key: key).status == .created)
            // 2 x 55 bytes waiting is past 100: the tenant must wait for a run.
            let backlog = try await push(client, "p2", line, key: key)
            #expect(backlog.status == .tooManyRequests && Self.j(backlog)["error"]?["code"] == "push.backlog")
            #expect(backlog.headers[.retryAfter] != nil)
            // Past the burst: 429 with when to retry.
            var limited: TestResponse?
            for i in 0..<6 {
                let r = try await push(client, "r\(i)", line, key: key)
                if r.status == .tooManyRequests, Self.j(r)["error"]?["code"] == "rate_limited" { limited = r; break }
            }
            #expect(limited?.headers[.retryAfter].flatMap(Int.init).map { $0 >= 1 } == true)
            #expect(try APITests.json(try await call(client, .get, "/api/v1/limits", key: f.keys["acme-admin"]))["push"]?["max_batch_bytes"] == 64)
        }
    }

    @Test func manyPushersAtOnceLoseNoBatchAndStoreNoneTwice() async throws {
        var limits = OnrampAPI.PushLimits()
        limits.rate = 1_000_000
        limits.burst = 1_000_000
        let f = try await Self.fixture(limits: limits, batchesPerRun: 50)
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let (pid, key) = try await setUp(client, f, Self.pipeline(runOnArrival: false))
            let pushers = 8, perPusher = 20
            try await withThrowingTaskGroup(of: Void.self) { group in
                for p in 0..<pushers {
                    group.addTask {
                        for b in 0..<perPusher {
                            let body = Array((0..<3).map { "{\"id\":\"P\(p)-B\(b)-\($0)\",\"amount\":\"1\"}\n" }.joined().utf8)
                            // Every batch is sent twice, as a pusher that lost the first answer would.
                            for _ in 0..<2 {
                                let r = try await push(client, "p\(p)-b\(b)", body, key: key)
                                #expect(r.status == .created || r.status == .ok)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let stored = await f.store.pushBatches(pipelineId: pid, after: 0, limit: 10_000)
            #expect(stored.count == pushers * perPusher)
            #expect(stored.map(\.sequence) == (1...Int64(pushers * perPusher)).map { $0 })
            #expect(Set(stored.map(\.batchId)).count == pushers * perPusher)
            // 160 batches at 50 a run: the run that read a full run's worth queues the next until none are left.
            let worker = Task { try await f.api.worker!.run() }
            defer { worker.cancel() }
            let started = try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/runs", key: f.keys["acme-admin"])
            _ = try await finished(client, try APITests.json(started)["id"]!.stringValue!, key: f.keys["acme-viewer"])
            var all: [Value] = []
            for _ in 0..<500 {
                all = try await runs(client, pid, key: f.keys["acme-viewer"])
                if all.count == 4, all.allSatisfy({ $0["state"] == "succeeded" }) { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(all.map { $0["summary"]?["records_read"]?.numberValue ?? -1 }.reduce(0, +) == Double(pushers * perPusher * 3))
            #expect(all.count == 4, "\(all.map { $0["summary"]?["records_read"] ?? .null })")
            #expect(await f.store.pendingPushBytes(tenantId: "acme") == 0)
        }
    }

    @Test func anUnreadableBatchIsAnErrorOfItsOwnAndARepeatedPushQueuesTheRunItsFirstAnswerDid() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let (pid, key) = try await setUp(client, f)
            #expect(try await push(client, "lost", Array("{\"id\":\"ORD-1\",\"amount\":\"1\"}\n".utf8), key: key).status == .created)
            // The run its first push queued is gone (as if the server died before queueing it, or it was cancelled).
            let first = try #require(try await runs(client, pid, key: f.keys["acme-viewer"]).first?["id"]?.stringValue)
            #expect(try await call(client, .post, "/api/v1/tenants/acme/runs/\(first)/cancel", key: f.keys["acme-admin"]).status == .ok)
            // Its object is lost from the disk: the run reports that batch and goes on with the next one.
            let folder = f.dir.appendingPathComponent("push/acme/\(pid)")
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
            let body = Array("{\"id\":\"ORD-2\",\"amount\":\"2\"}\n".utf8)
            #expect(try await push(client, "kept", body, key: key).status == .created)
            let queued = try await runs(client, pid, key: f.keys["acme-viewer"]).filter { $0["state"] == "queued" }
            #expect(queued.count == 1)
            // The pusher did not hear the answer and sends "kept" again: still one queued run, the batch stored once.
            #expect(try await push(client, "kept", body, key: key).status == .ok)
            #expect(try await runs(client, pid, key: f.keys["acme-viewer"]).filter { $0["state"] == "queued" }.count == 1)
            let worker = Task { try await f.api.worker!.run() }
            defer { worker.cancel() }
            let run = try await finished(client, queued[0]["id"]!.stringValue!, key: f.keys["acme-viewer"])
            #expect(run["state"] == "succeeded_with_errors" && run["summary"]?["records_written"] == 1, "\(run)")
            let errors = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/runs/\(queued[0]["id"]!.stringValue!)/errors?format=json",
                                                          key: f.keys["acme-viewer"]))
            #expect(errors["errors"]?.arrayValue?.first?["code"] == "push.unreadable")
            #expect(errors["errors"]?.arrayValue?.first?["file"] == "push:lost")
            // A batch pending with no run queued (its run was cancelled, say): sending it again queues one.
            #expect(try await push(client, "later", body, key: key).status == .created)
            let next = try #require(try await runs(client, pid, key: f.keys["acme-viewer"]).first { $0["state"] == "queued" || $0["state"] == "running" })
            _ = try await finished(client, next["id"]!.stringValue!, key: f.keys["acme-viewer"])
            let batches = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/pipelines/\(pid)/batches",
                                                           key: f.keys["acme-viewer"]))["batches"]?.arrayValue ?? []
            #expect(batches.map { $0["state"] } == ["processed", "processed", "processed"])
        }
    }
}
