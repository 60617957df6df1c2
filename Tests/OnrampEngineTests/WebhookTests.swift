import Foundation
import Hummingbird
import NIOCore
import OnrampConnectorsHTTP
import OnrampCore
import Synchronization
import Testing

@Suite struct WebhookTests {
    @Test func postsTheSummarySignedWithHMAC() async throws {
        let received = Mutex<[(String, String)]>([])
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
            let signature = request.headers.first { $0.name.canonicalName == "x-onramp-signature" }?.value ?? ""
            #expect(request.headers.first { $0.name.canonicalName == "x-onramp-delivery" }?.value == "r1")
            received.withLock { $0.append((body, signature)) }
            return Response(status: .noContent)
        }
        // Answers its head at once, then trickles its body for an hour.
        router.post("/trickle") { _, _ -> Response in
            Response(status: .ok, body: ResponseBody { writer in
                // A byte every 100 ms; once the client has gone, a write fails and the handler ends.
                for _ in 0..<36_000 {
                    try await writer.write(ByteBuffer(string: " "))
                    try await Task.sleep(for: .milliseconds(100))
                }
            })
        }
        let (ports, cont) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { cont.yield($0.localAddress?.port ?? 0) })
        try await withRunningService(app) {
            var it = ports.makeAsyncIterator()
            let port = await it.next()!
            // A long deadline: a full parallel test run on two cores once kept this local answer past 10 s.
            let notifier = try WebhookNotifier(timeout: .seconds(60))
            let failure = await notifier.deliver(["run_id": "r1", "state": "failed"],
                                                 to: PipelineSpec.Notify(url: "http://127.0.0.1:\(port)/hook", secret: "s3cret"),
                                                 deliveryId: "r1")
            #expect(failure == nil)
            let refused = await notifier.deliver(["run_id": "r1"],
                                                 to: PipelineSpec.Notify(url: "http://127.0.0.1:\(port)/nope", secret: "s3cret"),
                                                 deliveryId: "r1")
            #expect(refused == "answered 404")
            // The whole exchange has one deadline: this returns after about a second, not an hour.
            let trickled = await (try WebhookNotifier(timeout: .seconds(1))).deliver(["run_id": "r1"],
                to: PipelineSpec.Notify(url: "http://127.0.0.1:\(port)/trickle", secret: "s3cret"), deliveryId: "r1:tenant")
            // A 200 whose body never ends counts as delivered; on a loaded machine even the head may miss the second.
            #expect(trickled == nil || trickled?.contains("timed out") == true, "\(trickled ?? "")")
        }
        let (body, signature) = try #require(received.withLock { $0.first })
        #expect(body == #"{"run_id":"r1","state":"failed"}"#)
        #expect(signature == WebhookNotifier.signature(body, secret: "s3cret"))
        #expect(signature.hasPrefix("sha256=") && signature.count == 71)
        #expect(WebhookNotifier.signature(body, secret: "other") != signature)
    }
}
