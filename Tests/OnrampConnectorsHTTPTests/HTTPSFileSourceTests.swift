import Foundation
import Hummingbird
import OnrampConnectorKit
import OnrampConnectorsHTTP
import OnrampCore
import Synchronization
import Testing

/// `https_file` against an in-process server: ETag-conditional incremental reads, secret headers,
/// no redirects, a size cap, the egress policy.
@Suite struct HTTPSFileSourceTests {
    final class Served: Sendable {
        let body = Mutex("id,amount\nA,1.50\nB,2\n")
        let etag = Mutex("\"v1\"")
        let downloads = Mutex(0)
        let conditional = Mutex<[String]>([])
    }

    static func withServer<T: Sendable>(_ served: Served, _ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/orders.csv") { request, _ -> Response in
            let etag = served.etag.withLock { $0 }
            if let sent = request.headers[.ifNoneMatch] {
                served.conditional.withLock { $0.append(sent) }
                if sent == etag { return Response(status: .notModified) }
            }
            served.downloads.withLock { $0 += 1 }
            return Response(status: .ok, headers: [.eTag: etag],
                            body: .init(byteBuffer: ByteBuffer(string: served.body.withLock { $0 })))
        }
        router.get("/private.ndjson") { request, _ -> Response in
            guard request.headers[.authorization] == "Bearer t0ken" else { return Response(status: .unauthorized) }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "{\"n\":1}\n{\"n\":2}\n")))
        }
        router.get("/moved") { _, _ in Response(status: .found, headers: [.location: "/orders.csv"]) }
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { found.yield($0.localAddress?.port ?? 0) })
        return try await withRunningService(app) {
            var it = ports.makeAsyncIterator()
            let port = await it.next()!
            return try await body("http://127.0.0.1:\(port)")
        }
    }

    static func read(_ config: Value, incremental: Bool = false, checkpoint: Value? = nil,
                     egress: EgressPolicy = .unrestricted) async throws
        -> (records: [Record], errors: [RecordError], checkpoint: Value?) {
        var registry = ConnectorRegistry()
        HTTPConnectors.register(into: &registry)
        let source = try registry.makeSource(.init(connector: "https_file", config: config,
                                                   incremental: incremental ? ["mode": "changed"] : nil),
                                             resources: ConnectorResources(egress: egress))
        var reader = try await source.open(checkpoint: checkpoint, batchSize: 10)
        var records: [Record] = [], errors: [RecordError] = [], last = checkpoint
        do {
            while let batch = try await reader.next() {
                records += batch.allRecords()
                errors += batch.errors
                if let c = batch.checkpoint { last = c }
            }
        } catch {
            await reader.close()
            throw error
        }
        await reader.close()
        return (records, errors, last)
    }

    @Test func aDownloadTrickledSlowerThanTheTimeoutIsCutOff() async throws {
        let server = ERPServer()
        let error: OnrampError? = try await server.run { base in
            do {
                _ = try await Self.read(["url": .string(base + "/api/trickle"), "format": "json", "timeout_seconds": 1])
                return nil
            } catch { return error as? OnrampError }
        }
        #expect(error?.code == "https_file.timeout" && error?.location == "source.config.timeout_seconds", "\(String(describing: error))")
        #expect(error?.message.contains("timed out: no complete answer within 1 s") == true)
        #expect(await server.state.trickleCuts == 1, "the download was abandoned, not waited for")
    }

    @Test func incrementalReadsAgainOnlyWhenTheETagChanged() async throws {
        let served = Served()
        try await Self.withServer(served) { base in
            let config: Value = ["url": .string(base + "/orders.csv"), "format": "csv"]
            let first = try await Self.read(config, incremental: true)
            #expect(first.records.map { $0.value["id"]?.stringValue } == ["A", "B"])
            #expect(first.records[0].position.description == "\(base)/orders.csv:2")
            #expect(first.checkpoint?["urls"]?[base + "/orders.csv"]?["etag"]?.stringValue == "\"v1\"")
            let unchanged = try await Self.read(config, incremental: true, checkpoint: first.checkpoint)
            #expect(unchanged.records.isEmpty)
            #expect(served.downloads.withLock { $0 } == 1)
            #expect(served.conditional.withLock { $0 } == ["\"v1\""])
            served.body.withLock { $0 = "id,amount\nC,3\n" }
            served.etag.withLock { $0 = "\"v2\"" }
            let changed = try await Self.read(config, incremental: true, checkpoint: unchanged.checkpoint)
            #expect(changed.records.map { $0.value["id"]?.stringValue } == ["C"])
            // A full read sends no condition.
            let full = try await Self.read(config)
            #expect(full.records.count == 1)
            #expect(served.conditional.withLock { $0 }.count == 2)
        }
    }

    @Test func headersRedirectsSizeAndEgress() async throws {
        try await Self.withServer(Served()) { base in
            let url = Value.string(base + "/private.ndjson")
            let refused = await #expect(throws: OnrampError.self) { try await Self.read(["url": url, "format": "ndjson"]) }
            #expect(refused?.code == "https_file.unauthorized")
            let withToken: Value = ["urls": [url], "format": "ndjson",
                                    "headers": [["name": "Authorization", "secret_value": "Bearer t0ken"]]]
            let authorized = try await Self.read(withToken)
            #expect(authorized.records.count == 2)

            let moved = await #expect(throws: OnrampError.self) {
                try await Self.read(["url": .string(base + "/moved"), "format": "csv"])
            }
            #expect(moved?.code == "https_file.redirect")
            #expect(moved?.location == "source.config.url")

            let capped = await #expect(throws: OnrampError.self) {
                try await Self.read(["url": .string(base + "/orders.csv"), "format": "csv", "max_bytes": 5])
            }
            #expect(capped?.code == "https_file.too_large")

            let egress = await #expect(throws: OnrampError.self) {
                try await Self.read(["urls": [.string(base + "/orders.csv")], "format": "csv"],
                                    egress: EgressPolicy())
            }
            #expect(egress?.code == "egress.refused")
            #expect(egress?.location == "source.config.urls[0]")
        }
    }

    @Test func aSecretBelongsInSecretValueOnly() throws {
        var registry = ConnectorRegistry()
        HTTPConnectors.register(into: &registry)
        let schema = registry.sources["https_file"]!.configSchema
        #expect(schema["properties"]?["headers"]?["items"]?["properties"]?["secret_value"]?["x-secret"] == .bool(true))
        #expect(schema["properties"]?["headers"]?["items"]?["properties"]?["value"]?["x-secret"] == nil)
        let both = #expect(throws: OnrampError.self) {
            try registry.makeSource(.init(connector: "https_file", config: [
                "url": "https://example.com/a.csv", "format": "csv",
                "headers": [["name": "X", "value": "a", "secret_value": "b"]]], incremental: nil),
                resources: ConnectorResources())
        }
        #expect(both?.location == "source.config.headers[0]")
    }
}
