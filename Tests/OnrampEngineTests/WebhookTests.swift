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
        let (ports, cont) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { cont.yield($0.localAddress?.port ?? 0) })
        try await withRunningService(app) {
            var it = ports.makeAsyncIterator()
            let port = await it.next()!
            let notifier = try WebhookNotifier()
            let failure = await notifier.deliver(["run_id": "r1", "state": "failed"],
                                                 to: PipelineSpec.Notify(url: "http://127.0.0.1:\(port)/hook", secret: "s3cret"),
                                                 deliveryId: "r1")
            #expect(failure == nil)
            let refused = await notifier.deliver(["run_id": "r1"],
                                                 to: PipelineSpec.Notify(url: "http://127.0.0.1:\(port)/nope", secret: "s3cret"),
                                                 deliveryId: "r1")
            #expect(refused == "answered 404")
        }
        let (body, signature) = try #require(received.withLock { $0.first })
        #expect(body == #"{"run_id":"r1","state":"failed"}"#)
        #expect(signature == WebhookNotifier.signature(body, secret: "s3cret"))
        #expect(signature.hasPrefix("sha256=") && signature.count == 71)
        #expect(WebhookNotifier.signature(body, secret: "other") != signature)
    }
}
