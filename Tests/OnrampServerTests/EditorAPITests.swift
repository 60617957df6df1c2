import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OnrampCore
@testable import OnrampServer
import OnrampStore
import Testing

/// The routes the web UI's pages lean on: who am I, my password, fire times as a cron is typed, the JSONata
/// editor, and a run's live events.
@Suite struct EditorAPITests {
    func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, key: String? = nil,
              headers extra: HTTPFields = [:], body: Value? = nil) async throws -> TestResponse {
        var headers = extra
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map(APITests.body))
    }

    @Test func meAnswersTheCallerAndASessionsCSRFTokenAndAPasswordChangeEndsOtherSessions() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let me = try APITests.json(try await call(client, .get, "/api/v1/me", key: f.keys["acme-viewer"]))
            #expect(me["principal"]?["kind"] == "api_key" && me["principal"]?["role"] == "tenant_viewer")
            #expect(me["principal"]?["tenant_id"] == "acme" && me["csrf_token"] == .null)
            let keyChange = try await call(client, .post, "/api/v1/me/password", key: f.keys["acme-admin"],
                                           body: ["current_password": "x", "new_password": "long enough password"])
            #expect(keyChange.status == .forbidden)

            let first = "first password 1"
            _ = try await call(client, .post, "/api/v1/tenants/acme/users", key: f.keys["acme-admin"],
                               body: ["email": "ops@acme.test", "role": "tenant_admin", "password": .string(first)])
            func signIn(_ password: String) async throws -> (HTTPFields, TestResponse) {
                let r = try await call(client, .post, "/api/v1/login", body: ["email": "ops@acme.test", "password": .string(password)])
                guard r.status == .ok, let set = r.headers[.setCookie] else { return ([:], r) }
                var headers: HTTPFields = [.cookie: String(set.split(separator: ";")[0])]
                headers[HTTPField.Name("X-CSRF-Token")!] = try APITests.json(r)["csrf_token"]?.stringValue ?? ""
                return (headers, r)
            }
            let (a, loginA) = try await signIn(first)
            let (b, _) = try await signIn(first)
            var cookieOnly = a
            cookieOnly[HTTPField.Name("X-CSRF-Token")!] = nil
            let session = try APITests.json(try await call(client, .get, "/api/v1/me", headers: cookieOnly))
            #expect(session["principal"]?["kind"] == "session" && session["principal"]?["name"] == "ops@acme.test")
            #expect(try session["csrf_token"] == APITests.json(loginA)["csrf_token"])

            let wrong = try await call(client, .post, "/api/v1/me/password", headers: a,
                                       body: ["current_password": "not it at all", "new_password": "second password 2"])
            #expect(try wrong.status == .unprocessableContent && APITests.json(wrong)["error"]?["field"] == "current_password")
            let short = try await call(client, .post, "/api/v1/me/password", headers: a,
                                       body: ["current_password": .string(first), "new_password": "short"])
            #expect(try short.status == .unprocessableContent && APITests.json(short)["error"]?["field"] == "new_password")
            let noCSRF = try await call(client, .post, "/api/v1/me/password", headers: cookieOnly,
                                        body: ["current_password": .string(first), "new_password": "second password 2"])
            #expect(noCSRF.status == .forbidden)
            let changed = try await call(client, .post, "/api/v1/me/password", headers: a,
                                         body: ["current_password": .string(first), "new_password": "second password 2"])
            #expect(changed.status == .noContent)
            #expect(try await call(client, .get, "/api/v1/me", headers: a).status == .ok)
            #expect(try await call(client, .get, "/api/v1/me", headers: b).status == .unauthorized)
            #expect(try await signIn(first).1.status == .unauthorized)
            #expect(try await signIn("second password 2").1.status == .ok)
            let audit = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/audit", key: f.keys["acme-admin"]))
            #expect(audit["entries"]?.arrayValue?.contains { $0["action"] == "change_password" && $0["resource_type"] == "user" } == true)
        }
    }

    @Test func schedulePreviewGivesTheNextFireTimesOrNamesTheBadField() async throws {
        let now = ISOTime.date("2026-03-28T12:00:00Z")!
        let next = try OnrampAPI.previewFireTimes(["cron": "0 2 * * *", "timezone": "Europe/Berlin", "count": 3], now: now)
        // 29 March 2026 is the spring-forward day in Berlin: 02:00 does not exist and fires at 03:00 CEST (01:00Z).
        #expect(next["next"] == .array(["2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-31T00:00:00Z"].map(Value.string)))
        #expect(try OnrampAPI.previewFireTimes(["cron": "*/15 * * * *"], now: now)["next"]?.arrayValue?.count == 5)
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            for (body, field) in [(["cron": "61 * * * *"], "cron"), (["cron": "0 * * * *", "timezone": "Mars/Olympus"], "timezone"),
                                  (["cron": "0 * * * *", "count": 51], "count"), (["cron": "0 * * * *", "count": 1.5], "count"),
                                  (["timezone": "UTC"], "cron"), (["cron": "0 * * * *", "when": 1], "when")] as [(Value, String)] {
                let r = try await call(client, .post, "/api/v1/schedules/preview", key: f.keys["acme-viewer"], body: body)
                #expect(try r.status == .unprocessableContent && APITests.json(r)["error"]?["field"] == .string(field), "\(body)")
            }
            let ok = try await call(client, .post, "/api/v1/schedules/preview", key: f.keys["acme-viewer"], body: ["cron": "0 8 * * 1-5"])
            #expect(try ok.status == .ok && APITests.json(ok)["next"]?.arrayValue?.count == 5)
        }
    }

    @Test func expressionsCompileWithPositionsAndEvaluateOnASampleWithinLimits() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let key = f.keys["acme-viewer"]
            let good = try APITests.json(try await call(client, .post, "/api/v1/expressions/compile", key: key,
                                                        body: ["expression": "$sum(lines.(qty * price)) & customer"]))
            #expect(good["ok"] == true && good["fields"] == ["customer", "lines"])
            let bad = try APITests.json(try await call(client, .post, "/api/v1/expressions/compile", key: key,
                                                       body: ["expression": "amount + (qty *"]))
            #expect(bad["ok"] == false && bad["error"]?["code"] == "S0207" && bad["error"]?["position"] == 15)
            let value = try APITests.json(try await call(client, .post, "/api/v1/expressions/evaluate", key: key,
                                                         body: ["expression": "$parseDecimal(total, ',', '.') * 2", "input": ["total": "1.234,50"]]))
            #expect(value["ok"] == true && value["result"] == 2469)
            let undefined = try APITests.json(try await call(client, .post, "/api/v1/expressions/evaluate", key: key,
                                                             body: ["expression": "missing", "input": ["a": 1]]))
            #expect(undefined["ok"] == true && undefined["result"] == nil)
            let failing = try APITests.json(try await call(client, .post, "/api/v1/expressions/evaluate", key: key,
                                                           body: ["expression": "a + 'x'", "input": ["a": 1]]))
            #expect(failing["ok"] == false && failing["error"]?["code"] == "T2002")
            let endless = try APITests.json(try await call(client, .post, "/api/v1/expressions/evaluate", key: key,
                                                           body: ["expression": "($f := function($n) { $f($n + 1) }; $f(0))", "input": .null]))
            #expect(endless["ok"] == false && endless["error"]?["code"] == "U1001")
            let long = String(repeating: "a+", count: 9000) + "a"
            let tooLong = try await call(client, .post, "/api/v1/expressions/compile", key: key, body: ["expression": .string(long)])
            #expect(try tooLong.status == .unprocessableContent && APITests.json(tooLong)["error"]?["field"] == "expression")
            #expect(try await call(client, .post, "/api/v1/expressions/evaluate", key: key, body: ["input": 1]).status == .unprocessableContent)
            #expect(try await call(client, .post, "/api/v1/expressions/compile", body: ["expression": "a"]).status == .unauthorized)
        }
    }

    @Test func runEventsStreamEveryChangeAndEndAfterTheRunFinishes() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let run = RunRecord(id: "r-live", tenantId: "acme", pipelineId: "p", pipelineVersion: 1, trigger: "api", fullResync: false,
                            createdAt: Date())
        try await f.store.enqueue(run)
        let claimed = try #require(try await f.store.claim(worker: "w", now: Date(), lease: 60, perTenantLimit: 5))
        let fence = RunFence(runId: claimed.id, worker: "w", attempt: claimed.attempts)
        let driver = Task {
            try await Task.sleep(for: .milliseconds(700))
            _ = try await f.store.progress(fence, ["records_read": 10], now: Date())
            try await Task.sleep(for: .milliseconds(700))
            _ = try await f.store.finish(fence, state: .succeeded, summary: ["records_read": 10], at: Date())
        }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let r = try await call(client, .get, "/api/v1/tenants/acme/runs/r-live/events", key: f.keys["acme-viewer"])
            #expect(r.status == .ok && r.headers[.contentType] == "text/event-stream")
            let events = String(buffer: r.body).components(separatedBy: "\n\n").filter { $0.hasPrefix("event: run\n") }
            let runs = try events.map { try JSONParser.parse(Array($0.dropFirst("event: run\ndata: ".count).utf8)) }
            #expect(runs.first?["state"] == "running" && runs.last?["state"] == "succeeded")
            #expect(runs.contains { $0["progress"]?["records_read"] == 10 })
            #expect(Set(runs.map { JSONWriter.string($0) }).count == runs.count)
            #expect(try await call(client, .get, "/api/v1/tenants/acme/runs/r-live/events", key: f.keys["globex-admin"]).status == .notFound)
        }
        try await driver.value
    }

    @Test func theEventPacerSendsChangesKeepsAliveAndEnds() {
        let t0 = ContinuousClock.now
        var pacer = RunEventPacer(start: t0, keepAlive: .seconds(15), maxAge: .seconds(60))
        #expect(pacer.look(at: ["state": "queued"], finished: false, now: t0) == [.send(["state": "queued"])])
        #expect(pacer.look(at: ["state": "queued"], finished: false, now: t0 + .seconds(14)) == [])
        #expect(pacer.look(at: ["state": "queued"], finished: false, now: t0 + .seconds(15)) == [.keepAlive])
        #expect(pacer.look(at: ["state": "running"], finished: false, now: t0 + .seconds(16)) == [.send(["state": "running"])])
        #expect(pacer.look(at: ["state": "failed"], finished: true, now: t0 + .seconds(17)) == [.send(["state": "failed"]), .end])
        var old = RunEventPacer(start: t0, maxAge: .seconds(60))
        #expect(old.look(at: ["state": "queued"], finished: false, now: t0 + .seconds(61)) == [.send(["state": "queued"]), .end])
        #expect(old.look(at: nil, finished: true, now: t0) == [.end])
        #expect(RunEventPacer.text(.send(["a": "x\ny"])) == "event: run\ndata: {\"a\":\"x\\ny\"}\n\n")
    }
}

extension EditorAPITests {
    @Test func aRunCanBeOfAnEarlierVersion() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            var second = APITests.pipeline(f.dir).objectValue!
            second["steps"] = [["set": ["amount": "$number(amount) * 2"]]]
            for document in [APITests.pipeline(f.dir), .object(second)] {
                #expect(try await call(client, .post, "/api/v1/tenants/acme/pipelines", key: f.keys["engineer"], body: document).status == .created)
            }
            let path = "/api/v1/tenants/acme/pipelines/copy/runs"
            #expect(try await call(client, .post, path, key: f.keys["acme-admin"], body: ["version": 1]).status == .forbidden)
            let first = try await call(client, .post, path, key: f.keys["engineer"], body: ["version": 1])
            #expect(try first.status == .accepted && APITests.json(first)["pipeline_version"] == 1)
            let latest = try await call(client, .post, path, key: f.keys["acme-admin"])
            #expect(try APITests.json(latest)["pipeline_version"] == 2)
            for body in [["version": 3], ["version": "1"], ["version": 0], ["version": 1.5], ["versions": 1]] as [Value] {
                let r = try await call(client, .post, path, key: f.keys["engineer"], body: body)
                #expect(r.status == .unprocessableContent, "\(body)")
            }
        }
    }
}

extension EditorAPITests {
    @Test func aTenantAdminSetsTheTenantsWebhookWithABoundSecret() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let admin = f.keys["acme-admin"], path = "/api/v1/tenants/acme/webhook"
            #expect(try await call(client, .get, path, key: admin).status == .notFound)
            #expect(try await call(client, .put, "/api/v1/tenants/acme/secrets/HOOK", key: admin,
                                   body: ["value": "signing", "origins": ["https://hooks.acme.test"]]).status == .ok)
            let body: Value = ["url": "https://hooks.acme.test/onramp", "secret": "${secret:HOOK}"]
            #expect(try await call(client, .put, path, key: f.keys["acme-viewer"], body: body).status == .forbidden)
            let put = try await call(client, .put, path, key: admin, body: body)
            #expect(try put.status == .ok && APITests.json(put)["events"] == ["failed", "succeeded_with_errors"])
            let shown = try APITests.json(try await call(client, .get, path, key: f.keys["acme-viewer"]))
            #expect(shown["url"] == "https://hooks.acme.test/onramp" && shown["secret"] == "${secret:HOOK}" && shown["enabled"] == true)
            for (bad, field) in [(["url": "https://evil.example/x", "secret": "${secret:HOOK}"], "url"),
                                 (["url": "https://hooks.acme.test/x", "secret": "signing"], "secret"),
                                 (["url": "https://hooks.acme.test/x", "secret": "${secret:HOOK}", "events": ["queued"]], "events[0]"),
                                 (["url": "https://hooks.acme.test/x", "secret": "${secret:HOOK}", "events": []], "events"),
                                 (["url": "https://hooks.acme.test/x", "secret": "${secret:HOOK}", "extra": 1], "extra")] as [(Value, String)] {
                let r = try await call(client, .put, path, key: admin, body: bad)
                #expect(try r.status == .unprocessableContent && APITests.json(r)["error"]?["field"] == .string(field), "\(bad)")
            }
            #expect(try await call(client, .get, "/api/v1/tenants/acme/webhook", key: f.keys["globex-admin"]).status == .notFound)
            #expect(try await call(client, .delete, path, key: admin).status == .noContent)
            #expect(try await call(client, .delete, path, key: admin).status == .notFound)
        }
    }
}

extension EditorAPITests {
    @Test func aGatePlaceIsGivenBackWhenItsLastReferenceGoes() async throws {
        let gate = PreviewGate(total: 1, perTenant: 1)
        #expect(await gate.enter("acme"))
        var place: GatePlace? = GatePlace(gate, "acme")
        #expect(await gate.enter("acme") == false)
        _ = place
        place = nil
        try await RunWorkerWait.until { await gate.enter("acme") }
    }

    @Test func passwordGuessesAreThrottledWithSignInsAndCrossSiteSignInsRefused() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let password = "first password 1"
            _ = try await call(client, .post, "/api/v1/tenants/acme/users", key: f.keys["acme-admin"],
                               body: ["email": "guess@acme.test", "role": "tenant_viewer", "password": .string(password)])
            var crossSite: HTTPFields = [:]
            crossSite[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
            let forged = try await call(client, .post, "/api/v1/login", headers: crossSite,
                                        body: ["email": "guess@acme.test", "password": .string(password)])
            #expect(forged.status == .forbidden)
            var sameOrigin: HTTPFields = [:]
            sameOrigin[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
            let login = try await call(client, .post, "/api/v1/login", headers: sameOrigin,
                                       body: ["email": "guess@acme.test", "password": .string(password)])
            #expect(login.status == .ok)
            var headers: HTTPFields = [.cookie: String(try #require(login.headers[.setCookie]).split(separator: ";")[0])]
            headers[HTTPField.Name("X-CSRF-Token")!] = try APITests.json(login)["csrf_token"]?.stringValue ?? ""
            var statuses: [HTTPResponse.Status] = []
            for i in 0..<6 {
                statuses.append(try await call(client, .post, "/api/v1/me/password", headers: headers,
                                               body: ["current_password": .string("wrong guess \(i)"), "new_password": "another password"]).status)
            }
            #expect(statuses.prefix(4).allSatisfy { $0 == .unprocessableContent } && statuses.last == .tooManyRequests, "\(statuses)")
            // The account is locked for sign-ins too, even with the right password.
            #expect(try await call(client, .post, "/api/v1/login", body: ["email": "guess@acme.test", "password": .string(password)])
                .status == .tooManyRequests)
            let tooLong = try await call(client, .post, "/api/v1/tenants/acme/users", key: f.keys["acme-admin"],
                                         body: ["email": "long@acme.test", "role": "tenant_viewer",
                                                "password": .string(String(repeating: "é", count: 40))])
            #expect(try tooLong.status == .unprocessableContent && APITests.json(tooLong)["error"]?["field"] == "password")
        }
    }
}

enum RunWorkerWait {
    static func until(_ condition: @Sendable () async throws -> Bool) async throws {
        for _ in 0..<250 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out")
    }
}
