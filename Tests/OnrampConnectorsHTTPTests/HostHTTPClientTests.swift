import Foundation
import OnrampConnectorKit
import OnrampConnectorsHTTP
import OnrampCore
import Testing

/// A connector written against the kit alone gets the host's HTTP client from `ConnectorResources`: the run's
/// egress policy holds for it, redirects are answers, and failures say whether anything was sent.
@Suite struct HostHTTPClientTests {
    /// What a connector package outside this repository writes: it names no HTTP library.
    struct PingSource: Source {
        let url: String
        let resources: ConnectorResources

        static let spec = SourceSpec(
            name: "ping", summary: "Answers check with a GET of url.",
            configSchema: ["type": "object", "required": ["url"], "properties": ["url": ["type": "string"]]]
        ) { config, _, resources in PingSource(url: config["url"]!.stringValue!, resources: resources) }

        func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
            throw OnrampError("ping.read", "ping reads nothing")
        }

        func check() async throws -> ConnectorCheck {
            let answer = try await resources.http().send(
                ConnectorHTTPRequest(url: url, headers: [("X-Ping", "1")], timeout: .seconds(5), maxResponseBytes: 4096),
                field: "source.config.url")
            return ConnectorCheck(message: "\(answer.status) \(answer.header("location") ?? "")"
                                  + " \(String(decoding: answer.body.prefix(12), as: UTF8.self))")
        }

        func discover() async throws -> [DiscoveredStream] { [] }
    }

    static func registry(http: Bool = true) -> ConnectorRegistry {
        var r = ConnectorRegistry()
        if http { HTTPConnectors.register(into: &r) }
        r.register(PingSource.spec)
        return r
    }

    static func check(_ url: String, egress: EgressPolicy = .unrestricted, http: Bool = true) async throws -> String {
        try await registry(http: http).check(.init(connector: "ping", config: ["url": .string(url)], incremental: nil),
                                             side: .source, resources: ConnectorResources(egress: egress)).message
    }

    static func error(_ work: () async throws -> Void) async -> (any Error)? {
        do { try await work() } catch { return error }
        return nil
    }

    @Test func aKitOnlyConnectorReachesAServerThroughTheHost() async throws {
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(1))
        let (answer, moved) = try await server.run { base in
            (try await Self.check(base + "/api/orders/page"), try await Self.check(base + "/api/moved"))
        }
        #expect(answer.hasPrefix("200") && answer.contains("{"), "\(answer)")
        #expect(moved == "307 /api/orders/page ", "a redirect is an answer, not followed: \(moved)")
        #expect(await server.state.requests.count == 2)
    }

    @Test func theRunsEgressPolicyHoldsForIt() async throws {
        let server = ERPServer()
        let refused = try await server.run { base in
            await Self.error { _ = try await Self.check(base + "/api/orders/page", egress: EgressPolicy()) }
        }
        #expect((refused as? OnrampError)?.code == "egress.refused", "\(String(describing: refused))")
        #expect((refused as? OnrampError)?.location == "source.config.url")
        #expect(await server.state.requests.isEmpty)
        let metadata = await Self.error {
            _ = try await Self.check("http://169.254.169.254/latest/meta-data/", egress: EgressPolicy(allowPrivate: true))
        }
        #expect((metadata as? OnrampError)?.code.hasPrefix("egress.") == true, "\(String(describing: metadata))")
    }

    @Test func failuresSayWhetherTheServerCouldHaveSeenTheRequest() async throws {
        // A port nobody listens on: nothing was sent, so any method may be sent again.
        let listener = try ServerSocketProbe.closedPort()
        let refused = await Self.error { _ = try await Self.check("http://127.0.0.1:\(listener)/x") }
        #expect((refused as? ConnectorHTTPFailure)?.kind == .notSent, "\(String(describing: refused))")
        #expect((refused as? ConnectorHTTPFailure)?.message == "connection refused")
        let server = ERPServer()
        await server.state.set(orders: ERPServer.orders(1))
        let big = try await server.run { base in await Self.error { _ = try await Self.check(base + "/api/big") } }
        #expect((big as? OnrampError)?.code == "http.too_large", "\(String(describing: big))")
    }

    @Test func aHostWithoutAnHTTPClientSaysSo() async throws {
        let none = await Self.error { _ = try await Self.check("http://127.0.0.1:9/x", http: false) }
        #expect((none as? OnrampError)?.code == "connector.no_http")
    }
}

/// A loopback port that was free a moment ago and has no listener now.
enum ServerSocketProbe {
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw OnrampError("test.port", "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
