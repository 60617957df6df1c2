import Foundation
import Hummingbird
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import Synchronization
import Testing

/// A tenant's outbound requests follow no redirect: the egress policy checks where a request goes,
/// so a 3xx pointing elsewhere (a metadata address, a private host) must not be followed.
@Suite struct RedirectTests {
    @Test func theTaxmanDestinationDoesNotFollowARedirect() async throws {
        let dir = EndToEndTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try EndToEndTests.writeOrders(dir, files: 1, perFile: 3)
        let reached = Mutex(0)
        let router = Router()
        router.post("/a/v1/transactions/calculate-batch") { _, _ in
            Response(status: .temporaryRedirect, headers: [.location: "/b/v1/transactions/calculate-batch"])
        }
        router.post("/b/v1/transactions/calculate-batch") { _, _ -> Response in
            reached.withLock { $0 += 1 }
            return Response(status: .ok)
        }
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { found.yield($0.localAddress?.port ?? 0) })
        let summary = try await withRunningService(app) {
            var it = ports.makeAsyncIterator()
            let port = await it.next()!
            let spec = try EndToEndTests.pipeline(dir, url: "http://127.0.0.1:\(port)/a", batch: 10, attempts: 1)
            return await PipelineRunner(spec: spec, registry: EndToEndTests.registry(), resources: ConnectorResources(),
                                        checkpoints: FileCheckpointStore(directory: dir.path + "/state"),
                                        outputDirectory: dir.path + "/out").run()
        }
        #expect(reached.withLock { $0 } == 0)
        #expect(summary.recordsWritten == 0)
    }
}
