import HTTPTypes
import Hummingbird
import NIOCore
import OnrampCore

/// Routes of APIs that misbehave: bodies trickled a byte at a time, pagination that ignores its
/// parameters or loops back to a page already read.
extension ERPServer {
    func addFaultyRoutes(_ router: Router<BasicRequestContext>) {
        // The head at once, then a valid JSON body (`[` spaces `]`) at one byte per 100 ms, for 30 s.
        let trickle: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            await state.log(request.uri.string)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
                do {
                    for byte in ["["] + Array(repeating: " ", count: 300) + ["]"] {
                        try await writer.write(ByteBuffer(string: byte))
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    try await writer.finish(nil)
                } catch {
                    await state.cutTrickle()
                    throw error
                }
            })
        }
        router.get("/api/trickle", use: trickle)
        router.post("/api/trickle", use: trickle)
        // Ignores `page` but stamps every answer: no two bodies are the same.
        router.get("/api/orders/stamped") { request, _ -> Response in
            if let r = await gate(request) { return r }
            let served = await state.requests.count
            return Self.json(["orders": .array(slice(await state.list(since: nil), from: 0, count: 3)),
                              "served": .number(Double(served))])
        }
        // Pages 1, 2, 1, 2, …: page 3 is page 1 again.
        router.get("/api/orders/cycle") { request, _ -> Response in
            if let r = await gate(request) { return r }
            let n = Int(query(request)["page"] ?? "1") ?? 1
            return Self.json(["orders": .array(slice(await state.list(since: nil), from: (n - 1) % 2 * 3, count: 3))])
        }
        // Cursor tokens: none → a → b → a.
        router.get("/api/orders/tokens") { request, _ -> Response in
            if let r = await gate(request) { return r }
            let token = query(request)["cursor"]
            let (from, next) = token == nil ? (0, "a") : token == "a" ? (3, "b") : (6, "a")
            return Self.json(["items": .array(slice(await state.list(since: nil), from: from, count: 3)),
                              "next": .string(next)])
        }
        // Next URLs: /hop → ?at=b → ?at=a → ?at=b.
        router.get("/api/orders/hop") { request, _ -> Response in
            if let r = await gate(request) { return r }
            let at = query(request)["at"]
            let (from, next) = at == nil ? (0, "b") : at == "b" ? (3, "a") : (6, "b")
            return Self.json(["results": .array(slice(await state.list(since: nil), from: from, count: 3)),
                              "next": .string("/api/orders/hop?at=\(next)")])
        }
    }
}
