import OnrampConnectorKit
@testable import OnrampConnectorsHTTP
import OnrampCore
import Testing

/// Each pagination style reads every record once, in order, and stops at the end.
@Suite struct HTTPAPIPaginationTests {
    static let count = 53

    func readAll(_ config: @Sendable (String) -> Value) async throws -> (Harness.Read, [String]) {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(Self.count))
        return try await server.run { base in
            let read = try await Harness.read(try Harness.source(config(base)), batchSize: 10)
            return (read, await server.state.requests)
        }
    }

    @Test func pageNumbers() async throws {
        let (read, requests) = try await readAll { base in
            ["url": .string(base + "/api/orders/page"), "records_path": "orders",
             "pagination": ["type": "page", "page_size_param": "per_page", "page_size": 10]]
        }
        #expect(read.ids == Array(1...Self.count))
        // Six pages of records, then the empty page that ends the read.
        #expect(requests.count == 7)
        #expect(requests.last?.contains("page=7&per_page=10") == true)
    }

    @Test func offsetAndLimit() async throws {
        let (read, requests) = try await readAll { base in
            ["url": .string(base + "/api/orders/offset"), "records_path": "data",
             "pagination": ["type": "offset", "limit": 10]]
        }
        #expect(read.ids == Array(1...Self.count))
        #expect(requests.contains { $0.hasSuffix("offset=50&limit=10") })
        #expect(requests.last?.hasSuffix("offset=53&limit=10") == true)
    }

    @Test func cursorTokenInTheBody() async throws {
        let (read, requests) = try await readAll { base in
            ["url": .string(base + "/api/orders/cursor"), "records_path": "items",
             "pagination": ["type": "cursor", "cursor_path": "meta.next_cursor", "cursor_param": "cursor"]]
        }
        #expect(read.ids == Array(1...Self.count))
        // 53 records, 7 a page: 8 pages, the last with a null cursor.
        #expect(requests.count == 8)
        #expect(requests[1].hasSuffix("?cursor=c7"))
    }

    @Test func linkHeaderRelativeAndAbsolute() async throws {
        let (read, requests) = try await readAll { base in
            ["url": .string(base + "/api/orders/link"), "pagination": ["type": "link_header"]]
        }
        #expect(read.ids == Array(1...Self.count))
        #expect(requests.count == 7)
    }

    @Test func nextURLInTheBody() async throws {
        let (read, requests) = try await readAll { base in
            ["url": .string(base + "/api/orders/next"), "records_path": "results",
             "pagination": ["type": "next_url", "next_url_path": "links.next"]]
        }
        #expect(read.ids == Array(1...Self.count))
        #expect(requests.count == 6)
    }

    @Test func aServerIgnoringThePageParameterIsAnErrorNotAnEndlessRead() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(20))
        let error = try await server.run { base in
            // The cursor endpoint knows no `page` parameter: it answers its first page every time.
            await Harness.error {
                _ = try await Harness.read(try Harness.source(["url": .string(base + "/api/orders/cursor"),
                                                               "records_path": "items", "pagination": ["type": "page"]]))
            }
        }
        #expect(error?.code == "http_api.pagination_loop")
        #expect(error?.message.contains("/api/orders/cursor?page=2 answered the same page as page 1") == true)
        #expect(await server.state.requests.count == 2)
    }

    /// Reads `path` with `pagination` over 12 orders: the error, and the requests the API saw.
    func loop(_ path: String, records: String, _ pagination: Value) async throws -> (OnrampError?, [String]) {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(12))
        return try await server.run { base in
            let error = await Harness.error {
                _ = try await Harness.read(try Harness.source(["url": .string(base + path), "records_path": .string(records),
                                                               "pagination": pagination]))
            }
            return (error, await server.state.requests)
        }
    }

    @Test func anAPIIgnoringThePageParameterWithChangingBodiesStopsAtMaxPages() async throws {
        let (error, requests) = try await loop("/api/orders/stamped", records: "orders", ["type": "page", "max_pages": 5])
        #expect(error?.code == "http_api.max_pages")
        #expect(error?.message.contains("/api/orders/stamped gave more than 5 pages: raise pagination.max_pages") == true)
        #expect(error?.location == "source.config.pagination.max_pages")
        #expect(requests.count == 5)
    }

    @Test func maxPagesDefaultsTo10000() throws {
        let paged = try Harness.source(["url": "https://erp.example/api/orders", "pagination": ["type": "offset"]])
        #expect((paged as? HTTPAPISource)?.config.pagination?.maxPages == 10_000)
        #expect(HTTPAPIConfig.defaultMaxPages == 10_000)
    }

    @Test func aPageAlreadyReadIsALoopEvenWhenNotTheOneBefore() async throws {
        let (error, requests) = try await loop("/api/orders/cycle", records: "orders", ["type": "page"])
        #expect(error?.code == "http_api.pagination_loop")
        #expect(error?.message.contains("/api/orders/cycle?page=3 answered the same page as page 1") == true)
        #expect(requests.count == 3)
    }

    @Test func aCursorTokenGivenAgainIsALoop() async throws {
        let (error, requests) = try await loop("/api/orders/tokens", records: "items",
                                               ["type": "cursor", "cursor_path": "next"])
        #expect(error?.code == "http_api.pagination_loop")
        #expect(error?.message.contains("/api/orders/tokens?cursor=b gave the cursor a, which an earlier page gave") == true)
        #expect(requests.count == 3)
    }

    @Test func aNextURLAlreadyReadIsALoop() async throws {
        let (error, requests) = try await loop("/api/orders/hop", records: "results",
                                               ["type": "next_url", "next_url_path": "next"])
        #expect(error?.code == "http_api.pagination_loop")
        #expect(error?.message.contains("/api/orders/hop?at=a gives http://127.0.0.1:") == true)
        #expect(error?.message.contains("/api/orders/hop?at=b, a page already read, as the next page") == true)
        #expect(requests.count == 3)
    }

    @Test func aNextURLOnAnotherHostIsRefused() async throws {
        let server = ERPServer()
        let error = try await server.run { base in
            await Harness.error {
                _ = try await Harness.read(try Harness.source(
                    ["url": .string(base + "/api/elsewhere"), "records_path": "results",
                     "pagination": ["type": "next_url", "next_url_path": "links.next"]]))
            }
        }
        #expect(error?.code == "http_api.next_url")
        #expect(error?.message.contains("evil.example") == true)
    }

    @Test func everyRequestURLIsCheckedAgainstTheEgressPolicy() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(3))
        let error = try await server.run { base in
            await Harness.error {
                _ = try await Harness.read(try Harness.source(["url": .string(base + "/api/orders/page")],
                                                              resources: Harness.resources(egress: EgressPolicy())))
            }
        }
        #expect(error?.code == "egress.refused")
        #expect(await server.state.requests.isEmpty)
    }

    @Test func batchesNeverExceedTheBatchSize() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(25))
        let sizes = try await server.run { base in
            var reader = try await Harness.source(["url": .string(base + "/api/orders/page"), "records_path": "orders",
                                                   "pagination": ["type": "page", "page_size_param": "per_page",
                                                                  "page_size": 10]]).open(checkpoint: nil, batchSize: 4)
            var sizes: [Int] = []
            while let b = try await reader.next() { sizes.append(b.records.count) }
            await reader.close()
            return sizes
        }
        #expect(sizes == [4, 4, 2, 4, 4, 2, 4, 1])
    }
}
