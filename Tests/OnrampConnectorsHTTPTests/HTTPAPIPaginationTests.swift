import OnrampConnectorKit
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
        #expect(error?.message.contains("/api/orders/cursor?page=2 answered the same page") == true)
        #expect(await server.state.requests.count == 2)
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
