import OnrampConnectorKit
@testable import OnrampConnectorsHTTP
import OnrampCore
import Synchronization
import Testing
import OnrampHTTPSupport

/// Per-record detail requests (`/orders/{id}/lines`) and OAuth2 token expiry.
@Suite struct HTTPAPIDetailTests {
    @Test func detailRequestsFillAFieldAndA404IsThatRecordsError() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(6))
        await server.state.hideLines(4)
        await server.state.script("/api/orders/2/lines", [.init(status: 503)])
        let sleeps = SleepLog()
        let read = try await server.run { base in
            try await Harness.read(try Harness.source(
                ["url": .string(base + "/api/orders/page"), "records_path": "orders",
                 "detail": ["url": "/api/orders/{id}/lines", "into": "lines", "records_path": "lines[]"]],
                resources: Harness.resources(sleeps)))
        }
        #expect(read.ids == [1, 2, 3, 5, 6])
        // `lines[]` keeps a one-line order's lines an array.
        #expect(read.records[1]["lines"] == [["sku": "SKU-2-1", "qty": 2]])
        #expect(read.records.map { $0["lines"]?.arrayValue?.count } == [2, 1, 2, 2, 1])
        #expect(read.errors.count == 1)
        #expect(read.errors[0].code == "http_api.detail_status")
        #expect(read.errors[0].message.contains("404 from http://127.0.0.1:"))
        #expect(read.errors[0].message.contains("/api/orders/4/lines"))
        #expect(read.errors[0].value?["id"] == 4)
        #expect(sleeps.all.count == 1)
    }

    @Test func concurrentDetailRequestsKeepTheRecordsOrder() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(30))
        await server.state.hideLines(17)
        let read = try await server.run { base in
            try await Harness.read(try Harness.source(
                ["url": .string(base + "/api/orders/page"), "records_path": "orders", "pagination": ["type": "page"],
                 "detail": ["url": "/api/orders/{id}/lines", "into": "lines", "concurrency": 4]]), batchSize: 7)
        }
        #expect(read.ids == Array(1...16) + Array(18...30))
        let skus = read.records.map { $0["lines"]?["lines"]?.arrayValue?.first?["sku"]?.stringValue ?? "" }
        #expect(skus == read.ids.map { "SKU-\($0)-1" })
        #expect(read.errors.map { $0.value?["id"] } == [17])
    }

    @Test func aDetailURLThatCannotBeBuiltIsThatRecordsError() async throws {
        let server = ERPServer()
        var orders = ERPServer.orders(3)
        orders[0] = ["id": "a/b?c", "updated_at": "x"]
        await server.state.set(orders: orders)
        let (read, requests) = try await server.run { base in
            (try await Harness.read(try Harness.source(
                ["url": .string(base + "/api/orders/page"), "records_path": "orders",
                 "detail": ["url": "/api/orders/{id}/lines?region={region}", "into": "lines"]])),
             await server.state.requests)
        }
        #expect(read.ids == [2, 3])
        #expect(read.errors.first?.code == "http_api.detail_url")
        #expect(read.errors.first?.message.contains("{region} gave nothing") == true)
        #expect(requests.contains("/api/orders/2/lines?region=TX"))
    }

    @Test func templateValuesArePercentEncoded() throws {
        let t = try HTTPTemplate("/orders/{id}/lines?q={$join(tags, ',')}", field: "f")
        #expect(try t.render(["id": "a/b c", "tags": ["x", "y&z"]], encoding: .url) == "/orders/a%2Fb%20c/lines?q=x%2Cy%26z")
        let nested = try HTTPTemplate("{ {\"a\": \"}\"}.a }-{n + 1}", field: "f")
        #expect(try nested.render(["n": 41], encoding: .header) == "}-42")
        #expect(throws: OnrampError.self) { try HTTPTemplate("/orders/{id", field: "f") }
        #expect(throws: OnrampError.self) { try HTTPTemplate("{missing}", field: "f").render([:], encoding: .url) }
    }

    @Test func anOAuth2TokenIsRenewedWhenItExpires() async throws {
        let server = ERPServer()
        await server.state.set(auth: .oauth2(id: "onramp", secret: "cs", uses: 100))
        await server.state.set(tokenLifetime: 100)
        let tokens = try await server.run { base in
            let caller = HTTPCaller(client: try OutboundHTTP().client(for: .unrestricted),
                                    policy: RetryPolicy(maxAttempts: 1), clock: .system, auth: nil, maxBytes: 1 << 20,
                                    timeout: .seconds(10))
            let cache = OAuth2TokenCache(tokenURL: base + "/oauth/token", clientID: "onramp", clientSecret: "cs",
                                         scope: nil, basic: true, field: "auth.token_url", caller: caller)
            let clock = Mutex(ContinuousClock.now)
            await cache.setClock { clock.withLock { $0 } }
            var seen = [try await cache.token(), try await cache.token()]
            // 100 s tokens are renewed 10 s early.
            clock.withLock { $0 += .seconds(89) }
            seen.append(try await cache.token())
            clock.withLock { $0 += .seconds(2) }
            seen.append(try await cache.token())
            return seen
        }
        #expect(tokens == ["tok-1", "tok-1", "tok-1", "tok-2"])
    }
}
