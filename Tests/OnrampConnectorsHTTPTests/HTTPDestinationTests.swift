import OnrampConnectorKit
import OnrampCore
import Testing

/// The `http` destination: templating per record and per batch, idempotency keys across retries,
/// non-2xx answers as load errors while the records around them are still sent.
@Suite struct HTTPDestinationTests {
    static func records(_ values: [Value]) -> [Record] { values.map { Record($0) } }

    static func results(_ outcomes: [RecordOutcome]) -> [Value?] {
        outcomes.map { if case .ok(let r) = $0 { return r ?? .null }; return nil }
    }

    static func failures(_ outcomes: [RecordOutcome]) -> [(Int, String, String)] {
        outcomes.enumerated().compactMap { i, o in
            if case .failed(let code, let message) = o { return (i, code, message) }
            return nil
        }
    }

    @Test func perRecordTemplatesAndAnIdempotencyKeyThatSurvivesARetry() async throws {
        let server = ERPServer()
        // Order 2 is stored, then its answer is lost (503): the retry carries the same key and is not stored again.
        await server.state.script("after:/api/sink/2", [.init(status: 503)])
        let sleeps = SleepLog()
        let outcomes = try await server.run { base in
            let d = try Harness.destination(
                ["url": .string(base + "/api/sink/{id}"), "method": "{id = 2 ? 'POST' : 'PUT'}",
                 "headers": ["X-Region": "{region}"], "body": "{\"order\": number, \"total\": $number(total)}",
                 "idempotency_header": ["name": "Idempotency-Key", "value": "\"order-\" & id"],
                 "result": "{\"stored\": stored, \"status\": $status}"],
                resources: Harness.resources(sleeps))
            return try await d.write(Self.records(ERPServer.orders(4)))
        }
        #expect(Self.failures(outcomes).isEmpty)
        #expect(Self.results(outcomes) == [["stored": 1, "status": 200], ["stored": 2, "status": 200],
                                           ["stored": 3, "status": 200], ["stored": 4, "status": 200]])
        let sink = await server.state.sink, headers = await server.state.sinkHeaders
        #expect(sink.count == 4)
        #expect(await server.state.sinkReplays == 1)
        #expect(sleeps.all.count == 1)
        #expect(sink[1] == ["order": "SO-1002", "total": 2.5])
        #expect(headers.map { $0["method"] } == ["PUT", "POST", "PUT", "PUT"])
        #expect(headers.map { $0["path"] } == ["/api/sink/1", "/api/sink/2", "/api/sink/3", "/api/sink/4"])
        #expect(headers.map { $0["x-region"] } == ["NY", "TX", "CA", "NY"])
        #expect(headers.map { $0["idempotency-key"] } == ["order-1", "order-2", "order-3", "order-4"])
    }

    @Test func aRefusedRecordIsALoadErrorAndItsNeighboursAreSent() async throws {
        let server = ERPServer()
        // 503s with Retry-After: the API did not act on them, so even POSTs are sent again.
        let busy = ERPState.Fault(status: 503, headers: ["Retry-After": "0"])
        await server.state.script("/api/sink", [busy, busy, busy])
        let outcomes = try await server.run { base in
            let d = try Harness.destination(["url": .string(base + "/api/sink"), "max_attempts": 3],
                                            resources: Harness.resources())
            return try await d.write(Self.records([["id": 1], ["id": 2, "bad": true], ["id": 3], ["id": 4]]))
        }
        let failures = Self.failures(outcomes)
        #expect(failures.count == 2)
        #expect(failures[0].0 == 0 && failures[0].1 == "http.status_503")
        #expect(failures[0].2.contains("answered 503 after 3 attempts"))
        #expect(failures[1].0 == 1 && failures[1].1 == "http.status_422")
        #expect(failures[1].2.contains("POST http://127.0.0.1:"))
        #expect(failures[1].2.contains("answered 422: {\"error\":{\"message\":\"order 2 is invalid\"}}"))
        #expect(await server.state.sink == [["id": 3], ["id": 4]])
    }

    @Test func aPOSTIsNotSentAgainAfterAnAnswerThatMayFollowItsEffect() async throws {
        let server = ERPServer()
        await server.state.script("/api/sink", [.init(status: 503), .init(status: 500)])
        let (outcomes, retried) = try await server.run { base in
            let post = try Harness.destination(["url": .string(base + "/api/sink"), "max_attempts": 3])
            let outcomes = try await post.write(Self.records([["id": 1]]))
            // The same 500 for a PUT (idempotent) is retried.
            let put = try Harness.destination(["url": .string(base + "/api/sink"), "method": "PUT", "max_attempts": 3])
            return (outcomes, try await put.write(Self.records([["id": 2]])))
        }
        let failures = Self.failures(outcomes)
        #expect(failures.count == 1)
        #expect(failures.first?.1 == "http.status_503")
        #expect(failures.first?.2.contains("answered 503 (not sent again: a POST without idempotency_header may have "
                                           + "been applied)") == true)
        #expect(Self.failures(retried).isEmpty)
        #expect(await server.state.sink == [["id": 2]])
        #expect(await server.state.requests.count == 3)
    }

    @Test func aPOSTTimingOutIsRetriedOnlyWithAnIdempotencyHeader() async throws {
        let server = ERPServer()
        let (plain, keyed) = try await server.run { base in
            let config: Value.Object = ["url": .string(base + "/api/trickle"), "timeout_seconds": 1, "max_attempts": 2]
            let plain = await Harness.error {
                _ = try await Harness.destination(.object(config)).write(Self.records([["id": 1]]))
            }
            var withKey = config
            withKey["idempotency_header"] = ["name": "Idempotency-Key", "value": "$string(id)"]
            let keyed = await Harness.error {
                _ = try await Harness.destination(.object(withKey)).write(Self.records([["id": 1]]))
            }
            return (plain, keyed)
        }
        #expect(plain?.code == "http.unreachable")
        #expect(plain?.message.contains("/api/trickle failed after 1 attempt: timed out") == true)
        #expect(plain?.message.contains("not sent again, since the server may have acted on it") == true)
        #expect(keyed?.message.contains("/api/trickle failed after 2 attempts: timed out") == true)
        #expect(await server.state.requests.count == 3)
    }

    @Test func aPOSTThatCouldNotConnectIsRetried() async throws {
        let sleeps = SleepLog()
        let error = await Harness.error {
            _ = try await Harness.destination(["url": "http://127.0.0.1:9/api/sink", "max_attempts": 3, "timeout_seconds": 1],
                                              resources: Harness.resources(sleeps)).write(Self.records([["id": 1]]))
        }
        #expect(error?.code == "http.unreachable")
        #expect(error?.message.contains("POST http://127.0.0.1:9/api/sink failed after 3 attempts") == true)
        #expect(sleeps.all.count == 2)
    }

    @Test func batchesAreBuiltFromTheArrayAndResultsSplitPerRecord() async throws {
        let server = ERPServer()
        let outcomes = try await server.run { base in
            let d = try Harness.destination(["url": .string(base + "/api/sink"), "batch_size": 3, "concurrency": 2,
                                             "body": "{\"orders\": $}", "result": "echo.orders.id",
                                             "idempotency_header": ["name": "Idempotency-Key", "value": "$join(id.$string(), '-')"]])
            return try await d.write(Self.records((1...7).map { ["id": .number(Double($0))] }))
        }
        #expect(Self.results(outcomes) == [1, 2, 3, 4, 5, 6, 7])
        let sink = await server.state.sink
        #expect(sink.count == 3)
        #expect(Set(sink.map { $0["orders"]?.arrayValue?.count ?? 0 }) == [3, 1])
        #expect(Set(await server.state.sinkHeaders.compactMap { $0["idempotency-key"] }) == ["1-2-3", "4-5-6", "7"])
    }

    @Test func aTemplateFailingForOneRecordFailsOnlyThatRecord() async throws {
        let server = ERPServer()
        let outcomes = try await server.run { base in
            let d = try Harness.destination(["url": .string(base + "/api/sink/{code}")])
            return try await d.write(Self.records([["code": "A"], ["id": 2], ["code": "C/D"]]))
        }
        let failures = Self.failures(outcomes)
        #expect(failures.map(\.0) == [1])
        #expect(failures.first?.1 == "http.template")
        #expect(failures.first?.2.contains("url: {code} gave nothing") == true)
        #expect(await server.state.sinkHeaders.map { $0["path"] } == ["/api/sink/A", "/api/sink/C%2FD"])
    }

    @Test func a401FailsTheRunWithTheFix() async throws {
        let server = ERPServer()
        await server.state.set(auth: .bearer("right"))
        let error = try await server.run { base in
            await Harness.error {
                _ = try await Harness.destination(["url": .string(base + "/api/sink"),
                                                   "auth": ["type": "bearer", "token": "wrong"]])
                    .write(Self.records([["id": 1]]))
            }
        }
        #expect(error?.code == "http.unauthorized")
        #expect(error?.message.contains("/api/sink: check the token") == true)
    }

    @Test func badExpressionsAreConfigErrorsNamingTheField() {
        #expect(throws: OnrampError.self) { try Harness.destination(["url": "https://x.example/{id", "body": "$"]) }
        do {
            _ = try Harness.destination(["url": "https://x.example/", "body": "{\"a\": "])
            Issue.record("a bad body expression was accepted")
        } catch let e as OnrampError {
            #expect(e.location == "destination.config.body")
        } catch { Issue.record("\(error)") }
    }
}
