import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OnrampCore
import ServiceLifecycle

/// A small ERP-like API run in process: orders paged five ways, auth of every kind, scripted faults and
/// rate limits, OAuth2 tokens that expire mid-read, `/orders/{id}/lines`, and a sink that records what it
/// is sent (with idempotency keys).
actor ERPState {
    enum Auth: Sendable {
        case none
        case basic(String, String)
        case bearer(String)
        case apiKeyHeader(String, String)
        case apiKeyQuery(String, String)
        /// Tokens stop working after `uses` requests (the server's expiry).
        case oauth2(id: String, secret: String, uses: Int)
    }

    struct Fault: Sendable {
        var status: Int
        var headers: [String: String] = [:]
    }

    var auth: Auth = .none
    var orders: [Value] = []
    /// Scripted answers by path, used before the real handler, first one first.
    var faults: [String: [Fault]] = [:]
    /// Paths that always answer 500.
    var broken: Set<String> = []
    /// Extra headers added to the answer for a path with this query (`path?query`).
    var extraHeaders: [String: [String: String]] = [:]
    var requests: [String] = []
    var tokens: [String: Int] = [:]
    var tokenFetches = 0
    /// The `expires_in` of issued tokens (nil: none).
    var tokenLifetime: Value? = 3600
    var sink: [Value] = []
    var sinkHeaders: [[String: String]] = []
    var sinkKeys: [String: Value] = [:]
    var sinkReplays = 0
    /// Orders whose lines answer 404.
    var noLines: Set<Int> = []

    func hideLines(_ id: Int) { noLines.insert(id) }

    func set(auth: Auth) { self.auth = auth }
    func set(orders: [Value]) { self.orders = orders }
    func set(tokenLifetime: Value?) { self.tokenLifetime = tokenLifetime }
    /// Lists newest first (an API an incremental read cannot trust).
    var descending = false
    func set(descending: Bool) { self.descending = descending }
    /// Trickled answers whose client hung up before the end.
    var trickleCuts = 0
    func cutTrickle() { trickleCuts += 1 }
    func script(_ path: String, _ f: [Fault]) { faults[path, default: []] += f }
    func breakPath(_ path: String) { broken.insert(path) }
    func headers(_ pathAndQuery: String, _ h: [String: String]) { extraHeaders[pathAndQuery] = h }
    func log(_ s: String) { requests.append(s) }

    /// Adds or replaces an order (an amendment replaces by id).
    func upsert(_ order: Value) {
        if let i = orders.firstIndex(where: { $0["id"] == order["id"] }) { orders[i] = order } else { orders.append(order) }
    }

    func nextFault(_ path: String) -> Fault? {
        if broken.contains(path) { return Fault(status: 500) }
        guard var list = faults[path], !list.isEmpty else { return nil }
        let f = list.removeFirst()
        faults[path] = list
        return f
    }

    /// nil: authorised; else the status to answer.
    func authorise(_ headers: HTTPFields, query: [String: String]) -> Int? {
        let authorization = headers[.authorization] ?? ""
        switch auth {
        case .none: return nil
        case .basic(let u, let p):
            return authorization == "Basic " + Data("\(u):\(p)".utf8).base64EncodedString() ? nil : 401
        case .bearer(let t): return authorization == "Bearer \(t)" ? nil : 401
        case .apiKeyHeader(let n, let v): return headers[HTTPField.Name(n)!] == v ? nil : 401
        case .apiKeyQuery(let n, let v): return query[n] == v ? nil : 401
        case .oauth2(_, _, let uses):
            guard authorization.hasPrefix("Bearer "), let used = tokens[String(authorization.dropFirst(7))] else { return 401 }
            if used >= uses { return 401 }
            tokens[String(authorization.dropFirst(7))] = used + 1
            return nil
        }
    }

    func issueToken(_ headers: HTTPFields, form: String) -> Value? {
        guard case .oauth2(let id, let secret, _) = auth else { return nil }
        let expected = "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
        let fields = Set(form.split(separator: "&").map {
            String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
        })
        let inForm = fields.contains("client_id=\(id)") && fields.contains("client_secret=\(secret)")
        guard headers[.authorization] == expected || inForm, fields.contains("grant_type=client_credentials") else {
            return nil
        }
        tokenFetches += 1
        let token = "tok-\(tokenFetches)"
        tokens[token] = 0
        var answer: Value.Object = ["access_token": .string(token), "token_type": "Bearer"]
        if let tokenLifetime { answer["expires_in"] = tokenLifetime }
        return .object(answer)
    }

    /// Orders with `updated_at >= since`, by `updated_at` then id (the order an incremental API must give).
    func list(since: String?) -> [Value] {
        let sorted = orders.filter { since == nil || ($0["updated_at"]?.stringValue ?? "") >= since! }.sorted {
            let a = $0["updated_at"]?.stringValue ?? "", b = $1["updated_at"]?.stringValue ?? ""
            return a != b ? a < b : ($0["id"]?.numberValue ?? 0) < ($1["id"]?.numberValue ?? 0)
        }
        return descending ? sorted.reversed() : sorted
    }

    /// Stores a sink request; a repeated idempotency key is answered from the first time, not stored again.
    func receive(_ body: Value, headers: [String: String]) -> Value {
        if let key = headers["idempotency-key"], let earlier = sinkKeys[key] {
            sinkReplays += 1
            return earlier
        }
        sink.append(body)
        sinkHeaders.append(headers)
        let answer: Value = ["stored": .number(Double(sink.count)), "echo": body]
        if let key = headers["idempotency-key"] { sinkKeys[key] = answer }
        return answer
    }
}

struct ERPServer {
    let state = ERPState()

    static func orders(_ n: Int, updatedAt: (Int) -> String = { _ in "2026-11-01T10:00:00Z" }) -> [Value] {
        (1...max(1, n)).prefix(n).map { i in
            ["id": .number(Double(i)), "number": .string("SO-\(1000 + i)"), "updated_at": .string(updatedAt(i)),
             "region": .string(["CA", "NY", "TX"][i % 3]), "total": .string("\(i).50")]
        }
    }

    static func json(_ v: Value, status: HTTPResponse.Status = .ok, headers: [String: String] = [:]) -> Response {
        var fields: HTTPFields = [.contentType: "application/json"]
        for (k, v) in headers { fields.append(HTTPField(name: HTTPField.Name(k)!, value: v)) }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: JSONWriter.string(v))))
    }

    func query(_ request: Request) -> [String: String] {
        var q: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { q[String(k)] = String(v).removingPercentEncoding ?? String(v) }
        return q
    }

    /// Logging, faults and auth in front of every API route.
    func gate(_ request: Request) async -> Response? {
        let path = request.uri.path
        await state.log(request.uri.string)
        if let f = await state.nextFault(path) {
            return Self.json(["error": "scripted"], status: .init(code: f.status), headers: f.headers)
        }
        if let status = await state.authorise(request.headers, query: query(request)) {
            return Self.json(["error": "unauthorized"], status: .init(code: status))
        }
        return nil
    }

    func page(_ items: [Value], request: Request, extra: [String: String] = [:]) async -> [String: String] {
        var headers = extra
        for (k, v) in await state.extraHeaders[request.uri.string] ?? [:] { headers[k] = v }
        return headers
    }

    func slice(_ all: [Value], from: Int, count: Int) -> [Value] {
        from >= all.count ? [] : Array(all[from..<min(all.count, from + count)])
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/api/orders/page") { request, _ -> Response in
            if let r = await gate(request) { return r }
            let q = query(request)
            let n = Int(q["page"] ?? "1") ?? 1, size = Int(q["per_page"] ?? "10") ?? 10
            let items = slice(await state.list(since: q["updated_since"]), from: (n - 1) * size, count: size)
            return Self.json(["orders": .array(items)], headers: await page(items, request: request))
        }
        router.get("/api/orders/offset") { request, _ -> Response in
            if let r = await gate(request) { return r }
            let q = query(request)
            let all = await state.list(since: q["updated_since"])
            let items = slice(all, from: Int(q["offset"] ?? "0") ?? 0, count: Int(q["limit"] ?? "10") ?? 10)
            return Self.json(["data": .array(items), "total": .number(Double(all.count))],
                             headers: await page(items, request: request))
        }
        router.get("/api/orders/cursor") { request, _ -> Response in
            if let r = await gate(request) { return r }
            let q = query(request)
            let from = Int(q["cursor"].flatMap { $0.hasPrefix("c") ? String($0.dropFirst()) : nil } ?? "0") ?? 0
            let all = await state.list(since: q["updated_since"])
            let items = slice(all, from: from, count: 7)
            let next: Value = from + 7 < all.count ? .string("c\(from + 7)") : .null
            return Self.json(["items": .array(items), "meta": ["next_cursor": next]], headers: await page(items, request: request))
        }
        router.get("/api/orders/link") { request, _ -> Response in
            if let r = await gate(request) { return r }
            let q = query(request)
            let n = Int(q["page"] ?? "1") ?? 1
            let all = await state.list(since: q["updated_since"])
            let items = slice(all, from: (n - 1) * 8, count: 8)
            var headers: [String: String] = [:]
            if n * 8 < all.count {
                let since = q["updated_since"].map { "&updated_since=\($0)" } ?? ""
                // Relative on odd pages, absolute on even ones: both must work.
                let target = "/api/orders/link?page=\(n + 1)\(since)"
                let host = request.head.authority ?? "127.0.0.1"
                headers["Link"] = "<http://\(host)/api/orders/link?page=1>; rel=\"first\", "
                    + "<\(n % 2 == 1 ? target : "http://\(host)\(target)")>; rel=\"next\""
            }
            return Self.json(.array(items), headers: await page(items, request: request, extra: headers))
        }
        router.get("/api/orders/next") { request, _ -> Response in
            if let r = await gate(request) { return r }
            let q = query(request)
            let after = Int(q["after"] ?? "0") ?? 0
            let all = await state.list(since: q["updated_since"])
            let items = slice(all, from: after, count: 9)
            let next: Value = after + 9 < all.count
                ? .string("/api/orders/next?after=\(after + 9)" + (q["updated_since"].map { "&updated_since=\($0)" } ?? ""))
                : .null
            return Self.json(["results": .array(items), "links": ["next": next]], headers: await page(items, request: request))
        }
        router.get("/api/orders/:id/lines") { request, context -> Response in
            if let r = await gate(request) { return r }
            let id = Double(context.parameters.get("id") ?? "") ?? -1
            guard await state.orders.contains(where: { $0["id"]?.numberValue == id }), await !state.noLines.contains(Int(id)) else {
                return Self.json(["error": "no such order"], status: .notFound)
            }
            // Odd orders have two lines, even ones one.
            let lines = (1...(Int(id) % 2 + 1)).map { n -> Value in ["sku": .string("SKU-\(Int(id))-\(n)"), "qty": .number(id)] }
            return Self.json(["lines": .array(lines)])
        }
        router.get("/api/html") { request, _ -> Response in
            if let r = await gate(request) { return r }
            return Response(status: .ok, headers: [.contentType: "text/html"],
                            body: .init(byteBuffer: ByteBuffer(string: "<html>maintenance</html>")))
        }
        router.get("/api/big") { request, _ -> Response in
            if let r = await gate(request) { return r }
            return Self.json(["orders": .array([["blob": .string(String(repeating: "x", count: 2 << 20))]])])
        }
        router.get("/api/moved") { request, _ -> Response in
            if let r = await gate(request) { return r }
            return Response(status: .temporaryRedirect, headers: [.location: "/api/orders/page"])
        }
        router.get("/api/elsewhere") { request, _ -> Response in
            if let r = await gate(request) { return r }
            return Self.json(["results": [["id": 1]], "links": ["next": "http://evil.example/steal"]])
        }
        router.post("/oauth/token") { request, _ -> Response in
            await state.log(request.uri.string)
            let form = String(buffer: try await request.body.collect(upTo: 1 << 16))
            guard let token = await state.issueToken(request.headers, form: form) else {
                return Self.json(["error": "invalid_client"], status: .unauthorized)
            }
            return Self.json(token)
        }
        for path in ["/api/sink", "/api/sink/:id"] {
            router.on(RouterPath(path), method: .post) { request, context in try await sink(request, context) }
            router.on(RouterPath(path), method: .put) { request, context in try await sink(request, context) }
        }
        addFaultyRoutes(router)
        return router
    }

    func sink(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        if let r = await gate(request) { return r }
        let body = (try? JSONParser.parse([UInt8](buffer: try await request.body.collect(upTo: 1 << 20)))) ?? .null
        if case .object(let o) = body, o["bad"] == .bool(true) {
            return Self.json(["error": ["message": .string("order \(o["id"]?.scalarText ?? "?") is invalid")]],
                             status: .unprocessableContent)
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        headers["method"] = request.method.rawValue
        headers["path"] = request.uri.path
        let answer = await state.receive(body, headers: headers)
        // A scripted "lost answer": the body was stored, then the client sees a 503 and retries.
        if let f = await state.nextFault("after:" + request.uri.path) {
            return Self.json(["error": "lost"], status: .init(code: f.status), headers: f.headers)
        }
        return Self.json(answer)
    }

    /// Runs the server on a free loopback port while `body` runs with its base URL.
    func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { found.yield($0.localAddress?.port ?? 0) }, logger: Logger(label: "erp"))
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "erp")))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                var it = ports.makeAsyncIterator()
                let port = await it.next()!
                let result = try await body("http://127.0.0.1:\(port)")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }
}
