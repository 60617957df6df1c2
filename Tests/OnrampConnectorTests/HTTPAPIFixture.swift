import Foundation
import Hummingbird
import NIOCore
import OnrampCore
import Synchronization

/// `http_api` in the conformance suite: one loopback API for the test process serving each seed's rows,
/// 10 a page, in (updated_at, id) order, with many rows sharing one `updated_at` and an inclusive
/// `updated_since` filter.
struct HTTPAPIFixture: ConformanceFixture {
    let connector = "http_api"

    private static let datasets = Mutex<[String: Int]>([:])

    private static let base = Task<String, any Error> {
        let router = Router()
        router.get("/:set/orders") { request, context -> Response in
            guard let rows = datasets.withLock({ $0[context.parameters.get("set") ?? ""] }) else {
                return Response(status: .notFound)
            }
            let page = Int(request.uri.queryParameters.get("page") ?? "1") ?? 1
            let since = request.uri.queryParameters.get("updated_since")
            let matching = (1...max(1, rows)).prefix(rows).map { id -> Value in
                ["id": .number(Double(id)), "name": .string("n\(id)"), "updated_at": .string(updatedAt(id))]
            }.filter { since == nil || ($0["updated_at"]?.stringValue ?? "") >= since! }
            let items = Array(matching.dropFirst((page - 1) * 10).prefix(10))
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: JSONWriter.string(["orders": .array(items)]))))
        }
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { found.yield($0.localAddress?.port ?? 0) })
        Task.detached { try await app.run() }
        var it = ports.makeAsyncIterator()
        return "http://127.0.0.1:\(await it.next() ?? 0)"
    }

    static func updatedAt(_ id: Int) -> String { "2026-11-0\(1 + id / 40)" }

    func seed(rows: Int, in dir: URL) async throws -> (config: Value, incremental: Value) {
        let set = dir.lastPathComponent
        Self.datasets.withLock { $0[set] = rows }
        let url = try await Self.base.value + "/\(set)/orders"
        return (["url": .string(url), "records_path": "orders", "pagination": ["type": "page"]],
                ["cursor_field": "updated_at", "param": "updated_since", "key": "id"])
    }

    /// Nothing listens on port 9: the check cannot connect.
    func missing(in dir: URL) -> Value {
        ["url": "http://127.0.0.1:9/orders", "max_attempts": 1, "timeout_seconds": 1]
    }
}
