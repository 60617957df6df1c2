import NIOHTTP1
import OnrampConnectorKit
@testable import OnrampConnectorsHTTP
import OnrampCore
import Testing

/// Rate limits and faults: waits honoured through `resources.clock.sleep`, pages retried, a page failing for good
/// fails the read with its URL and status, bad bodies are clear errors.
@Suite struct HTTPAPIRetryTests {
    static func config(_ base: String, _ extra: Value.Object = [:]) -> Value {
        var c: Value.Object = ["url": .string(base + "/api/orders/page"), "records_path": "orders",
                               "pagination": ["type": "page"]]
        for (k, v) in extra { c[k] = v }
        return .object(c)
    }

    @Test func retryAfterAndServerErrorsAreRetriedWithoutLosingAPage() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(30))
        await server.state.script("/api/orders/page", [
            .init(status: 503),
            .init(status: 429, headers: ["Retry-After": "7"]),
        ])
        let sleeps = SleepLog()
        let read = try await server.run { base in
            try await Harness.read(try Harness.source(Self.config(base), resources: Harness.resources(sleeps)))
        }
        #expect(read.ids == Array(1...30))
        #expect(sleeps.seconds.count == 2)
        #expect(sleeps.seconds[0] > 0 && sleeps.seconds[0] < 1)
        #expect(sleeps.seconds[1] == 7)
        #expect(await server.state.requests.count == 6)
    }

    @Test func retryAfterAsAnHTTPDate() {
        let now = HTTPCaller.httpDate("Wed, 21 Oct 2026 07:28:00 GMT")!
        var headers = HTTPHeaders()
        headers.add(name: "Retry-After", value: "Wed, 21 Oct 2026 07:28:30 GMT")
        #expect(HTTPCaller.retryAfter(headers, now: now) == 30)
        var reset = HTTPHeaders()
        reset.add(name: "X-RateLimit-Reset", value: String(Int(now.timeIntervalSince1970) + 12))
        #expect(HTTPCaller.retryAfter(reset, now: now) == 12)
    }

    @Test func anExhaustedRateLimitWindowPausesUntilItResets() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(25))
        await server.state.headers("/api/orders/page?page=2", ["X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "42"])
        let sleeps = SleepLog()
        let read = try await server.run { base in
            try await Harness.read(try Harness.source(Self.config(base), resources: Harness.resources(sleeps)))
        }
        #expect(read.ids == Array(1...25))
        #expect(sleeps.seconds == [42])
    }

    @Test func aPageThatFailsForGoodFailsTheReadWithURLAndStatus() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(30))
        let sleeps = SleepLog()
        let (error, delivered) = try await server.run { base in
            var reader = try await Harness.source(Self.config(base, ["max_attempts": 3]),
                                                  resources: Harness.resources(sleeps)).open(checkpoint: nil, batchSize: 100)
            let first = try await reader.next()
            await server.state.breakPath("/api/orders/page")
            let error = await Harness.error { _ = try await reader.next() }
            await reader.close()
            return (error, first?.records.count)
        }
        #expect(delivered == 10)
        #expect(error?.code == "http_api.status")
        #expect(error?.message.contains("500 from http://127.0.0.1:") == true)
        #expect(error?.message.contains("/api/orders/page?page=2: still failing after 3 attempts") == true)
        #expect(sleeps.seconds.count == 2)
        #expect(sleeps.seconds[1] >= sleeps.seconds[0])
    }

    @Test func cancellingEndsAReadThatWaitsForARateLimit() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(5))
        await server.state.script("/api/orders/page", [.init(status: 429, headers: ["Retry-After": "3600"])])
        let outcome = try await server.run { base in
            // The real sleep: the wait must end when the task is cancelled.
            let source = try Harness.source(Self.config(base, ["max_attempts": 3]), resources: ConnectorResources())
            let task = Task { () -> String in
                do { _ = try await Harness.read(source); return "finished" } catch is CancellationError {
                    return "cancelled"
                } catch { return "\(error)" }
            }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            return await task.value
        }
        // Without cancellation the read would end with the 429 after its attempts (each wait capped at 60 s).
        #expect(outcome == "cancelled")
    }

    @Test func aServerThatNeverAnswersFailsAfterTheAttempts() async throws {
        let sleeps = SleepLog()
        let error = await Harness.error {
            _ = try await Harness.read(try Harness.source(["url": "http://127.0.0.1:9/api/orders", "max_attempts": 2, "timeout_seconds": 1],
                                                          resources: Harness.resources(sleeps)))
        }
        #expect(error?.code == "http.unreachable")
        #expect(error?.message.contains("GET http://127.0.0.1:9/api/orders failed after 2 attempts") == true)
        #expect(sleeps.all.count == 1)
    }

    @Test func aBodyTrickledSlowerThanTheTimeoutFailsTheRequest() async throws {
        let server = ERPServer()
        let sleeps = SleepLog()
        let error = try await server.run { base in
            await Harness.error {
                _ = try await Harness.read(try Harness.source(["url": .string(base + "/api/trickle"), "timeout_seconds": 1,
                                                               "max_attempts": 2], resources: Harness.resources(sleeps)))
            }
        }
        #expect(error?.code == "http.unreachable")
        #expect(error?.message.contains("/api/trickle failed after 2 attempts: timed out: no complete answer within 1 s")
                == true)
        // Both answers were cut off: the client hung up instead of waiting for the body.
        #expect(await server.state.trickleCuts == 2)
        #expect(sleeps.all.count == 1)
    }

    @Test func aResponseThatIsNotJSONNamesTheURL() async throws {
        let server = ERPServer()
        let error = try await server.run { base in
            await Harness.error { _ = try await Harness.read(try Harness.source(["url": .string(base + "/api/html")])) }
        }
        #expect(error?.code == "http_api.not_json")
        #expect(error?.message.contains("/api/html is not JSON (Content-Type text/html") == true)
        #expect(error?.message.contains("maintenance") == true)
    }

    @Test func recordsPathNotGivingObjectsIsAnError() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(3))
        let error = try await server.run { base in
            await Harness.error {
                _ = try await Harness.read(try Harness.source(["url": .string(base + "/api/orders/page"),
                                                               "records_path": "orders.number"]))
            }
        }
        #expect(error?.code == "http_api.records_path")
        #expect(error?.message.contains("gave string at [0], not an object") == true)
    }

    @Test func aRedirectIsNotFollowed() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(3))
        let error = try await server.run { base in
            await Harness.error { _ = try await Harness.read(try Harness.source(["url": .string(base + "/api/moved")])) }
        }
        #expect(error?.message.contains("307 from http://127.0.0.1:") == true)
        #expect(error?.message.contains("a redirect (to /api/orders/page), which is not followed") == true)
        #expect(await server.state.requests == ["/api/moved"])
    }

    @Test func anOversizedBodyIsRefused() async throws {
        let server = ERPServer()
        let error = try await server.run { base in
            await Harness.error {
                _ = try await Harness.read(try Harness.source(["url": .string(base + "/api/big"), "max_response_mib": 1]))
            }
        }
        #expect(error?.code == "http.too_large")
        #expect(error?.message.contains("larger than 1 MiB") == true)
    }

    @Test func checkNamesTheURLAndTheFix() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(4))
        await server.state.set(auth: .apiKeyHeader("X-API-Key", "good"))
        let (ok, bad) = try await server.run { base in
            let good = try await Harness.source(["url": .string(base + "/api/orders/page"), "records_path": "orders",
                                                 "auth": ["type": "api_key", "key": "good"]]).check()
            let bad = await Harness.error {
                _ = try await Harness.source(["url": .string(base + "/api/orders/page"),
                                              "auth": ["type": "api_key", "key": "bad"]]).check()
            }
            return (good, bad)
        }
        #expect(ok.message.contains("answered 200 with 4 records on the first page"))
        #expect(bad?.message.hasPrefix("401 from http://127.0.0.1:") == true)
        #expect(bad?.message.contains("/api/orders/page: check the API key") == true)
    }

    @Test func discoverInfersFieldsFromOnePage() async throws {
        let server = ERPServer()
        var orders = ERPServer.orders(5)
        orders[2] = ["id": 3, "number": "SO-3", "updated_at": "2026-11-01T00:00:00Z", "region": .null, "total": 3.5]
        await server.state.set(orders: orders)
        let streams = try await server.run { base in
            try await Harness.source(["url": .string(base + "/api/orders/page"), "records_path": "orders"]).discover()
        }
        #expect(streams.count == 1)
        let s = streams[0]
        #expect(s.name == "page")
        #expect(s.primaryKey == ["id"] && s.cursorField == ["updated_at"])
        let byName = Dictionary(uniqueKeysWithValues: s.fields.map { ($0.name, $0) })
        #expect(byName["id"]?.type == "integer" && byName["id"]?.nullable == false)
        #expect(byName["region"]?.nullable == true)
        #expect(byName["total"]?.type == "string" && byName["total"]?.sourceType == "number|string")
    }
}
