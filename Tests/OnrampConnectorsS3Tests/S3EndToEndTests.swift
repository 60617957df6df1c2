import Foundation
import Hummingbird
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
@testable import OnrampConnectorsS3
import OnrampCore
import OnrampEngine
@testable import OnrampTaxmanSandbox
import Testing

/// An ERP export in a bucket to the TAXMAN sandbox: an incremental pipeline charges each order once
/// across runs while objects are added.
@Suite(.enabled(if: MotoS3.available, "needs ONRAMP_TEST_S3 (source scripts/moto-test.sh)"))
struct S3EndToEndTests {
    static func orders(_ from: Int, _ count: Int) -> [UInt8] {
        var text = "id,region,amount\n"
        for n in from..<(from + count) { text += "S\(n),\(["CA", "NY", "TX"][n % 3]),\(n % 40).25\n" }
        return Array(text.utf8)
    }

    @Test func incrementalBucketToTaxman() async throws {
        let (client, server) = try await MotoS3.bucket("e2e")
        try await client.put("exports/orders-1.csv", body: Self.orders(0, 30))
        try await client.put("exports/orders-2.csv", body: Self.orders(30, 30))
        try await client.put("exports/notes.txt", body: Array("skip me".utf8))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-s3-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var registry = MotoS3.registry()
        HTTPConnectors.register(into: &registry)
        FileConnectors.register(into: &registry)
        let sandbox = try TaxmanSandbox(options: { var o = TaxmanSandbox.Options(); o.port = 0; return o }())
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let app = sandbox.application { found.yield($0) }
        try await withRunningService(app) {
            var it = ports.makeAsyncIterator()
            let port = await it.next()!
            let spec = try PipelineLoader.parse("""
            version: 1
            name: s3-e2e
            batch_size: 25
            source:
              connector: s3
              config:
                bucket: \(client.bucket)
                endpoint: "\(server.endpoint)"
                access_key_id: \(server.accessKeyId)
                secret_access_key: "\(server.secretAccessKey)"
                prefix: exports
                glob: "exports/*.csv"
                format: csv
              incremental: { mode: new_objects }
            steps:
              - map: |
                  {"transactionId": id, "type": "SalesOrder", "date": "2026-11-03", "currency": "USD",
                   "shipTo": {"country": "US", "region": region},
                   "lines": [{"number": "1", "quantity": 1, "amount": $number(amount)}]}
            destination:
              connector: taxman
              config: { base_url: "http://127.0.0.1:\(port)", api_key: k, batch_size: 10 }
            """)
            let runner = PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                                        checkpoints: FileCheckpointStore(directory: dir.path + "/state"),
                                        outputDirectory: dir.path + "/out")
            let first = await runner.run()
            #expect(first.status == .succeeded, "\(first.failureReason ?? "")")
            #expect(first.recordsWritten == 60)
            try await client.put("exports/orders-3.csv", body: Self.orders(60, 15))
            let second = await runner.run()
            #expect(second.status == .succeeded, "\(second.failureReason ?? "")")
            #expect(second.recordsRead == 15)
            let third = await runner.run()
            #expect(third.recordsRead == 0)
            let stats = await sandbox.state.stats()
            #expect(stats["calculations"] == .number(75))
            #expect(stats["conflicts"] == .number(0))
        }
    }
}
