import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
import OnrampCore
import OnrampEngine
import OnrampScheduler
@testable import OnrampServer
import OnrampStore
import OnrampTaxmanSandbox
import ServiceLifecycle
import Testing

/// The error queue end to end: runs into the TAXMAN sandbox through the API in process, with real workers.
@Suite struct ErrorQueueAPITests {
    struct Fixture {
        let api: OnrampAPI
        let store: MemoryStore
        let box: SecretBox
        let dir: URL
        let keys: [String: String]
    }

    static func fixture() async throws -> Fixture {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-errq-\(UUID().uuidString)")
        let files = dir.appendingPathComponent("tenants/acme/files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        // T2 and T3 name regions TAXMAN does not know (load errors), T4's amount is no number (a transform error).
        try "id,region,amount\nT1,CA,10.00\nT2,XX,5.00\nT3,ZZ,6.00\nT4,NY,abc\nT5,NY,7.50\n"
            .write(to: files.appendingPathComponent("orders.csv"), atomically: true, encoding: .utf8)
        let store = MemoryStore()
        var registry = ConnectorRegistry()
        FileConnectors.register(into: &registry)
        HTTPConnectors.register(into: &registry)
        let box = SecretBox(key: SymmetricKey(size: .bits256))
        let policy = TenantPolicy(dataDirectory: dir.path, egress: EgressPolicy(allowPrivate: true))
        var options = RunWorker.Options(dataDirectory: dir.path, policy: policy)
        options.lease = 30  // a loaded CI machine must not starve heartbeats into a takeover (the run landing twice)
        let worker = RunWorker(store: store, registry: registry, options: options,
                               errorQueue: ErrorQueueService(store: store, box: box))
        var api = OnrampAPI(store: store, registry: registry, worker: worker, secretBox: box, dataDirectory: dir.path)
        api.policy = policy
        var keys = ["admin": try await api.bootstrapAdminKey(secret: "admin-secret")!]
        for tenant in ["acme", "globex"] { _ = await store.createTenant(TenantRecord(id: tenant, name: tenant, createdAt: Date())) }
        for (label, role, tenant) in [("engineer", Role.engineer, nil), ("acme-admin", .tenantAdmin, "acme"),
                                      ("acme-viewer", .tenantViewer, "acme"), ("globex-admin", .tenantAdmin, "globex")]
            as [(String, Role, String?)] {
            await store.createKey(APIKeyRecord(id: label, name: label, role: role, tenantId: tenant,
                                               secretHash: AuthMiddleware.hash("secret-\(label)"), createdAt: Date()))
            keys[label] = "secret-\(label)"
        }
        return Fixture(api: api, store: store, box: box, dir: dir, keys: keys)
    }

    static func pipeline(_ taxman: String) -> Value {
        ["version": 1, "name": "orders",
         "source": ["connector": "csv", "config": ["path": "orders.csv"]],
         "steps": [["map": """
            {"transactionId": id, "type": "SalesOrder", "date": "2026-11-03", "currency": "USD",
             "shipTo": {"country": "US", "region": region}, "lines": [{"number": "1", "quantity": 1, "amount": $number(amount)}]}
            """]],
         "destination": ["connector": "taxman", "config": ["base_url": .string(taxman), "api_key": "k", "batch_size": 10]]]
    }

    /// Runs `body` with a TAXMAN sandbox's base URL.
    static func withSandbox(_ body: @Sendable (String) async throws -> Void) async throws {
        var o = TaxmanSandbox.Options()
        o.port = 0
        let (ports, cont) = AsyncStream.makeStream(of: Int.self)
        let app = try TaxmanSandbox(options: o).application { cont.yield($0) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var it = ports.makeAsyncIterator()
            let port = await it.next()!
            do { try await body("http://127.0.0.1:\(port)") } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, key: String?,
              body: Value? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: "/api/v1/tenants/" + path, method: method, headers: headers, body: body.map(APITests.body))
    }

    func finished(_ client: some TestClientProtocol, _ runId: String, key: String?) async throws -> Value {
        for _ in 0..<500 {
            let run = try APITests.json(try await call(client, .get, "acme/runs/\(runId)", key: key))
            if run["state"] != "queued" && run["state"] != "running" { return run }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("run \(runId) did not finish")
        return .null
    }

    @Test func failedRecordsAreQueuedGroupedFixedAndReplayedThroughTheCurrentPipeline() async throws {
        try await Self.withSandbox { taxman in
            let f = try await Self.fixture()
            defer { try? FileManager.default.removeItem(at: f.dir) }
            let app = Application(router: Conformance(f.api.buildRouter()))
            try await app.test(.router) { client in
                let worker = Task { try await f.api.worker!.run() }
                defer { worker.cancel() }
                let admin = f.keys["acme-admin"], viewer = f.keys["acme-viewer"], other = f.keys["globex-admin"]
                let saved = try await call(client, .post, "acme/pipelines", key: f.keys["engineer"], body: Self.pipeline(taxman))
                #expect(saved.status == .created, "\(String(buffer: saved.body))")
                let pid = try #require(try APITests.json(saved)["id"]?.stringValue)
                let started = try APITests.json(try await call(client, .post, "acme/pipelines/\(pid)/runs", key: admin))
                let runId = try #require(started["id"]?.stringValue)
                let run = try await finished(client, runId, key: viewer)
                #expect(run["state"] == "succeeded_with_errors", "\(run)")
                #expect(run["kind"] == "pipeline" && run["summary"]?["error_queue"]?["queued"] == .number(3))
                #expect(run["summary"]?["error_queue"]?["not_queued"] == .number(0))

                // The customer sees the problems grouped, not line by line.
                let groups = try APITests.json(try await call(client, .get, "acme/error-groups?run_id=\(runId)", key: viewer))["groups"]
                let list = try #require(groups?.arrayValue)
                #expect(list.map { $0["count"] } == [.number(2), .number(1)], "\(list)")
                #expect(list.first?["label"]?.stringValue?.hasPrefix("2 × taxman.InvalidAddress at shipTo.region") == true, "\(list)")
                #expect(list.last?["code"] == "expr.D3030")
                let entries = try #require(try APITests.json(try await call(client, .get, "acme/errors?run_id=\(runId)", key: viewer))["errors"]?
                    .arrayValue)
                #expect(entries.count == 3 && entries.allSatisfy { $0["state"] == "open" && $0["value"] == nil })
                // Searched by the API, over every page: the code in any case, in the entries and their groups.
                let searched = try APITests.json(try await call(client, .get, "acme/errors?run_id=\(runId)&search=D3030",
                                                                key: viewer))["errors"]?.arrayValue
                #expect(searched?.map { $0["code"] } == ["expr.D3030"], "\(searched ?? [])")
                let searchedGroups = try APITests.json(try await call(client, .get,
                                                                      "acme/error-groups?run_id=\(runId)&search=invalidADDRESS",
                                                                      key: viewer))["groups"]?.arrayValue
                #expect(searchedGroups?.map { $0["count"] } == [.number(2)], "\(searchedGroups ?? [])")
                func id(line: Int) throws -> String {
                    try #require(entries.first { $0["line"] == .number(Double(line)) }?["id"]?.stringValue)
                }
                let (t2, t3, t4) = (try id(line: 3), try id(line: 4), try id(line: 5))
                // A transform error keeps the source record; a load error the mapped transaction. Sealed at rest.
                let t4Detail = try APITests.json(try await call(client, .get, "acme/errors/\(t4)", key: viewer))
                #expect(t4Detail["stage"] == "transform" && t4Detail["value"] == ["id": "T4", "region": "NY", "amount": "abc"])
                let t2Detail = try APITests.json(try await call(client, .get, "acme/errors/\(t2)", key: viewer))
                #expect(t2Detail["stage"] == "load" && t2Detail["value"]?["shipTo"]?["region"] == "XX" && t2Detail["field"] == "shipTo.region")
                let sealed = try #require(await f.store.errorEntry(id: t4)?.sealedValue)
                #expect(!String(decoding: sealed, as: UTF8.self).contains("abc"))

                // Another tenant sees none of it, a viewer changes nothing.
                #expect(try await call(client, .get, "acme/errors", key: other).status == .notFound)
                #expect(try await call(client, .get, "globex/errors/\(t4)", key: other).status == .notFound)
                #expect(try await call(client, .post, "globex/errors/replay", key: other, body: ["ids": [.string(t4)]]).status == .notFound)
                #expect(try await call(client, .put, "acme/errors/\(t4)/value", key: viewer, body: ["value": [:]]).status == .forbidden)
                #expect(try await call(client, .post, "acme/errors/replay", key: viewer, body: ["ids": [.string(t4)]]).status == .forbidden)
                #expect(try await call(client, .post, "acme/errors/\(t4)/state", key: viewer, body: ["state": "ignored"]).status == .forbidden)
                let tooBig = Value.string(String(repeating: "x", count: OnrampAPI.maxErrorValueBytes))
                #expect(try await call(client, .put, "acme/errors/\(t4)/value", key: admin, body: ["value": tooBig]).status
                    == .unprocessableContent)

                // Fix the source record of T4 and the transaction of T2; T3 is replayed unchanged.
                let edited = try await call(client, .put, "acme/errors/\(t4)/value", key: admin,
                                            body: ["value": ["id": "T4", "region": "NY", "amount": "4.25"]])
                let editedBy = try APITests.json(edited)["edited_by"]
                #expect(edited.status == .ok && editedBy == "acme-admin")
                var fixed = try #require(t2Detail["value"]?.objectValue)
                fixed["shipTo"] = ["country": "US", "region": "TX"]
                #expect(try await call(client, .put, "acme/errors/\(t2)/value", key: admin, body: ["value": .object(fixed)]).status == .ok)
                let audit = try APITests.json(try await call(client, .get, "acme/audit", key: admin))["entries"]?.arrayValue ?? []
                #expect(audit.contains { $0["resource_type"] == "error_entry" && $0["resource_id"] == .string(t4) })

                let replay = try await call(client, .post, "acme/errors/replay", key: admin, body: ["ids": [.string(t2), .string(t3), .string(t4)]])
                #expect(replay.status == .accepted, "\(String(buffer: replay.body))")
                let replayId = try #require(try APITests.json(replay)["id"]?.stringValue)
                let replayed = try await finished(client, replayId, key: viewer)
                #expect(replayed["state"] == "succeeded_with_errors" && replayed["kind"] == "replay" && replayed["origin"] == .string(runId),
                        "\(replayed)")
                #expect(replayed["summary"]?["records_read"] == .number(3) && replayed["summary"]?["records_written"] == .number(2))
                #expect(replayed["summary"]?["error_queue"]?["resolved"] == .number(2))
                let results = String(buffer: try await call(client, .get, "acme/runs/\(replayId)/results", key: viewer).body)
                #expect(results.contains("T4") && results.contains("T2") && !results.contains("T1"), "\(results)")
                let runs = try APITests.json(try await call(client, .get, "acme/runs", key: viewer))["runs"]?.arrayValue ?? []
                #expect(runs.contains { $0["id"] == .string(replayId) && $0["kind"] == "replay" })

                for (entry, state) in [(t2, "resolved"), (t3, "open"), (t4, "resolved")] {
                    let e = try APITests.json(try await call(client, .get, "acme/errors/\(entry)", key: viewer))
                    #expect(e["state"] == .string(state) && e["replay_run_id"] == .string(replayId), "\(e)")
                }
                // T3 failed again: a new entry of the replay, linked to the old one, which stays open.
                let again = try APITests.json(try await call(client, .get, "acme/errors?run_id=\(replayId)", key: viewer))["errors"]?.arrayValue
                #expect(again?.count == 1 && again?.first?["origin_id"] == .string(t3) && again?.first?["line"] == .number(4), "\(again ?? [])")
                #expect(try await call(client, .post, "acme/errors/replay", key: admin, body: ["ids": [.string(t4)]]).status == .conflict)

                // Ignored entries leave the replayable set; reopened they come back.
                let ignored = try APITests.json(try await call(client, .post, "acme/errors/\(t3)/state", key: admin, body: ["state": "ignored"]))
                #expect(ignored["state"] == "ignored")
                let open = try APITests.json(try await call(client, .get, "acme/error-groups?state=open", key: viewer))["groups"]?.arrayValue
                #expect(open?.map { $0["count"] } == [.number(1)])
                #expect(try await call(client, .post, "acme/errors/\(t4)/state", key: admin, body: ["state": "open"]).status == .conflict)
                #expect(try await call(client, .get, "acme/errors?state=bogus", key: viewer).status == .unprocessableContent)
            }
        }
    }

    /// A group `aggregate` dropped comes back whole: every record it took is an entry, and replaying one of them
    /// replays them all, so the fixed group's total counts every line once.
    @Test func aDroppedAggregateGroupIsReplayedWhole() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try "customer,amount\nA,1.10\nB,2.00\nA,2.20\nA,oops\nA,4.40\nB,3.00\n"
            .write(to: f.dir.appendingPathComponent("tenants/acme/files/lines.csv"), atomically: true, encoding: .utf8)
        let document: Value = ["version": 1, "name": "totals", "source": ["connector": "csv", "config": ["path": "lines.csv"]],
                               "steps": [["aggregate": ["by": ["customer"], "fields": ["total": "sum(amount)", "n": "count()", "first": "first(amount)"]]]],
                               "destination": ["connector": "file", "config": ["path": "totals.ndjson"]]]
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            let worker = Task { try await f.api.worker!.run() }
            defer { worker.cancel() }
            let admin = f.keys["acme-admin"]
            let saved = try await call(client, .post, "acme/pipelines", key: f.keys["engineer"], body: document)
            let pid = try #require(try APITests.json(saved)["id"]?.stringValue, "\(String(buffer: saved.body))")
            let runId = try #require(try APITests.json(try await call(client, .post, "acme/pipelines/\(pid)/runs", key: admin))["id"]?
                .stringValue)
            let run = try await finished(client, runId, key: admin)
            #expect(run["state"] == "succeeded_with_errors" && run["summary"]?["error_queue"]?["queued"] == .number(4), "\(run)")
            let entries = try #require(try APITests.json(try await call(client, .get, "acme/errors?run_id=\(runId)", key: admin))["errors"]?
                .arrayValue)
            #expect(Set(entries.compactMap { $0["line"]?.numberValue }) == [2, 4, 5, 6], "\(entries)")
            let bad = try #require(entries.first { $0["code"] == "aggregate.not_number" })
            #expect(bad["line"] == .number(5))
            let badId = try #require(bad["id"]?.stringValue)
            let detail = try APITests.json(try await call(client, .get, "acme/errors/\(badId)", key: admin))
            var fixed = try #require(detail["value"]?.objectValue)
            fixed["amount"] = "3.30"
            #expect(try await call(client, .put, "acme/errors/\(badId)/value", key: admin, body: ["value": .object(fixed)]).status == .ok)
            // One id chosen; the whole group goes.
            let replay = try await call(client, .post, "acme/errors/replay", key: admin, body: ["ids": [.string(badId)]])
            let replayId = try #require(try APITests.json(replay)["id"]?.stringValue, "\(String(buffer: replay.body))")
            let replayed = try await finished(client, replayId, key: admin)
            #expect(replayed["state"] == "succeeded" && replayed["summary"]?["error_queue"]?["resolved"] == .number(4), "\(replayed)")
            #expect(replayed["summary"]?["records_read"] == .number(4) && replayed["summary"]?["records_written"] == .number(1))
            let written = try String(contentsOf: f.dir.appendingPathComponent("tenants/acme/files/totals.ndjson"), encoding: .utf8)
            #expect(written.split(separator: "\n").map(String.init) == [#"{"customer":"A","total":11,"n":4,"first":"1.10"}"#], "\(written)")
            let open = try APITests.json(try await call(client, .get, "acme/errors?state=open", key: admin))["errors"]?.arrayValue
            #expect(open?.isEmpty == true, "\(open ?? [])")
        }
    }

    @Test func aReplayRunsTheCurrentVersionAndHoldsItsEntriesUntilItEnds() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let v1 = try await f.store.savePipeline(tenantId: "acme", name: "orders", document: Self.pipeline("http://127.0.0.1:9"), at: Date())
        let v2 = try await f.store.savePipeline(tenantId: "acme", name: "orders", document: Self.pipeline("http://127.0.0.1:9"), at: Date())
        let other = try await f.store.savePipeline(tenantId: "acme", name: "other", document: Self.pipeline("http://127.0.0.1:9"), at: Date())
        let service = ErrorQueueService(store: f.store, box: f.box)
        func entry(_ run: String, _ index: Int, pipeline: String) throws -> ErrorEntry {
            let id = ErrorEntry.id(run: run, index: index)
            return ErrorEntry(id: id, tenantId: "acme", runId: run, pipelineId: pipeline, pipelineVersion: 1, stage: .load, step: nil,
                              code: "taxman.InvalidAddress", message: "m", field: nil, position: SourcePosition(line: index + 2),
                              sealedValue: try service.seal(["n": .number(Double(index))], tenant: "acme", id: id), createdAt: Date())
        }
        await f.store.queueErrors([try entry("r1", 0, pipeline: v1.pipelineId), try entry("r1", 1, pipeline: v1.pipelineId),
                                   try entry("r9", 0, pipeline: other.pipelineId)])
        let (a, b, c) = (ErrorEntry.id(run: "r1", index: 0), ErrorEntry.id(run: "r1", index: 1), ErrorEntry.id(run: "r9", index: 0))
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            let admin = f.keys["acme-admin"]
            // No worker runs here: the replay stays queued and holds its entries.
            #expect(try await call(client, .post, "acme/errors/replay", key: admin, body: ["ids": [.string(a), .string(c)]]).status
                == .unprocessableContent)
            #expect(try await call(client, .post, "acme/errors/replay", key: admin, body: ["filter": ["code": "taxman.InvalidAddress"]])
                .status == .unprocessableContent)
            #expect(try await call(client, .post, "acme/errors/replay", key: admin, body: ["ids": ["nope"]]).status == .notFound)
            let replay = try await call(client, .post, "acme/errors/replay", key: admin, body: ["filter": ["run_id": "r1"]])
            #expect(replay.status == .accepted)
            let run = try APITests.json(replay)
            #expect(run["pipeline_version"] == .number(Double(v2.version)) && run["state"] == "queued" && run["origin"] == "r1")
            let replayId = try #require(run["id"]?.stringValue)
            let stored = try #require(await f.store.run(id: replayId))
            #expect(stored.trigger == RunRecord.replayTrigger && stored.pipelineId == v1.pipelineId)
            let again = try await call(client, .post, "acme/errors/replay", key: admin, body: ["ids": [.string(b)]])
            let code = try APITests.json(again)["error"]?["code"]
            #expect(again.status == .conflict && code == "error_queue.replaying")
            #expect(try await call(client, .put, "acme/errors/\(a)/value", key: admin, body: ["value": [:]]).status == .conflict)
            #expect(try await call(client, .post, "acme/errors/\(a)/state", key: admin, body: ["state": "ignored"]).status == .conflict)
            // The replay run gets exactly the entries it took, in report order, opened.
            let records = try await service.replayRecords(for: stored)
            #expect(records.map(\.value) == [#"{"n":0}"#, #"{"n":1}"#] && records.allSatisfy { $0.stage == .load })
            // Once it ended (here: cancelled while queued), its entries are free again.
            _ = await f.store.requestCancel(runId: stored.id)
            #expect(try await call(client, .post, "acme/errors/\(a)/state", key: admin, body: ["state": "ignored"]).status == .ok)
        }
    }

    @Test func theQueueIsCappedPerRunAndARunEndingTwiceQueuesAndResolvesOnce() async throws {
        let store = MemoryStore()
        let box = SecretBox(key: SymmetricKey(size: .bits256))
        let service = ErrorQueueService(store: store, box: box, maxPerRun: 2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-errq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = dir.appendingPathComponent("errors.ndjson")
        let lines = (2...4).map { #"{"stage":"load","file":"a.csv","line":\#($0),"key":null,"step":null,"code":"taxman.X","message":"m","value":{"n":\#($0)}}"# }
        // A warning's record went on: it is not queued.
        let warning = #"{"stage":"transform","file":"a.csv","line":7,"severity":"warning","code":"validate.x","message":"m","value":{}}"#
        try ([lines[0], warning] + lines.dropFirst()).joined(separator: "\n").write(to: report, atomically: true, encoding: .utf8)
        let run = RunRecord(id: "r1", tenantId: "acme", pipelineId: "p", pipelineVersion: 1, trigger: "api", createdAt: Date())
        let summary = try await service.runEnded(run, state: .succeededWithErrors, errorsNDJSON: report.path)
        #expect(summary == ["queued": 2, "not_queued": 1])
        let entries = await store.errorEntries(tenantId: "acme", filter: ErrorQueueFilter(), limit: 9, after: nil)
        #expect(entries.map(\.position.line) == [3, 2])

        // A replay of both; its attempt records its outcome twice (claimed again after a crash before finishing).
        let replay = RunRecord(id: "rp", tenantId: "acme", pipelineId: "p", pipelineVersion: 1, trigger: RunRecord.replayTrigger,
                               createdAt: Date())
        _ = await store.updateErrorEntries(tenantId: "acme", ids: entries.map(\.id)) { ErrorQueueLifecycle.take($0, replayRun: "rp", at: Date()) }
        let records = try await service.replayRecords(for: replay)
        #expect(records.map(\.line) == [2, 3] && records.first?.value == #"{"n":2}"#)
        let failedAgain = dir.appendingPathComponent("replay.ndjson")
        try (lines[1] + "\n").write(to: failedAgain, atomically: true, encoding: .utf8)
        let first = try await service.runEnded(replay, state: .succeededWithErrors, errorsNDJSON: failedAgain.path)
        #expect(first["resolved"] == .number(1) && first["queued"] == .number(1))
        // The second attempt replays only what is still open, and changes nothing more when it ends the same way.
        #expect(try await service.replayRecords(for: replay).map(\.line) == [3])
        let second = try await service.runEnded(replay, state: .succeededWithErrors, errorsNDJSON: failedAgain.path)
        #expect(second["resolved"] == .number(0))
        let after = await store.errorEntries(tenantId: "acme", filter: ErrorQueueFilter(), limit: 9, after: nil)
        #expect(after.count == 3 && after.filter { $0.state == .resolved }.map(\.position.line) == [2])
        #expect(after.first { $0.runId == "rp" }?.originId == entries.first { $0.position.line == 3 }?.id)
        // A failed replay resolves nothing.
        let failed = RunRecord(id: "rf", tenantId: "acme", pipelineId: "p", pipelineVersion: 1, trigger: RunRecord.replayTrigger,
                               createdAt: Date())
        _ = await store.updateErrorEntries(tenantId: "acme", ids: after.map(\.id)) { ErrorQueueLifecycle.take($0, replayRun: "rf", at: Date()) }
        #expect(try await service.runEnded(failed, state: .failed, errorsNDJSON: nil)["resolved"] == .number(0))
        #expect(ErrorQueueService.field("transactions[3].shipTo.region: unknown jurisdiction US-XX") == "shipTo.region")
        #expect(ErrorQueueService.field("the value is not a number: x") == nil)
    }
}
