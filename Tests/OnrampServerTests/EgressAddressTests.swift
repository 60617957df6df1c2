import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
@testable import OnrampConnectorKit
import OnrampCore
import OnrampHTTPSupport
import Testing

/// How each address form is classified: IPv6 forms that carry an IPv4 address follow the IPv4 rules.
@Suite struct EgressAddressTests {
    static let table: [(String, IPAddress.Category)] = [
        ("93.184.216.34", .public), ("127.0.0.1", .private), ("10.1.2.3", .private), ("169.254.169.254", .metadata),
        ("2606:2800:220:1::1", .public), ("::1", .private), ("::", .private), ("fe80::1", .metadata),
        ("fd00:ec2::254", .metadata), ("fc00::1", .private),
        // Other clouds' metadata and host services; benchmarking and IETF protocol ranges; site-local IPv6.
        ("100.100.100.200", .metadata), ("168.63.129.16", .metadata), ("192.0.0.192", .metadata),
        ("::ffff:168.63.129.16", .metadata), ("198.18.0.1", .private), ("198.19.255.1", .private),
        ("192.0.0.8", .private), ("fec0::1", .private), ("168.63.129.17", .public),
        // IPv4-mapped and SIIT-translated.
        ("::ffff:127.0.0.1", .private), ("::ffff:169.254.169.254", .metadata), ("::ffff:93.184.216.34", .public),
        ("::ffff:0:10.0.0.1", .private), ("::ffff:0:169.254.169.254", .metadata),
        // IPv4-compatible.
        ("::127.0.0.1", .private), ("::169.254.169.254", .metadata), ("::10.0.0.1", .private),
        ("::93.184.216.34", .public),
        // NAT64, well-known prefix.
        ("64:ff9b::127.0.0.1", .private), ("64:ff9b::a9fe:a9fe", .metadata), ("64:ff9b::10.0.0.1", .private),
        ("64:ff9b::93.184.216.34", .public),
        // NAT64, local-use prefix: private (never routed publicly), metadata when any RFC 6052 position holds it.
        ("64:ff9b:1::7f00:1", .private), ("64:ff9b:1:a9fe:a9:fe00::", .metadata), ("64:ff9b:1:5db8:d8:2200::", .private),
        ("64:ff9b:1::a9fe:a9fe", .metadata),
        // 6to4.
        ("2002:7f00:1::1", .private), ("2002:a9fe:a9fe::1", .metadata), ("2002:a00:1::", .private),
        ("2002:5db8:d822::1", .public),
        // Teredo: the server (bits 32-63) and the client (the last 32 bits, inverted).
        ("2001:0:7f00:1::1", .private), ("2001:0:5db8:d822::5601:5601", .metadata),
        ("2001:0:5db8:d822::a247:27dd", .public), ("2001:0:5db8:d822::80ff:fffe", .private),
    ]

    @Test(arguments: table) func eachFormIsClassified(_ text: String, _ expected: IPAddress.Category) throws {
        let address = try #require(IPAddress(text))
        #expect(address.category == expected, "\(text)")
    }

    @Test func embeddedPrivateAddressesAreRefusedAndAllowedByTheirIPv4Block() async throws {
        let strict = EgressPolicy()
        for url in ["http://[64:ff9b::7f00:1]/", "http://[2002:a9fe:a9fe::]/", "http://[::127.0.0.1]/",
                    "http://[2001:0:5db8:d822::80ff:fffe]/", "http://[64:ff9b:1::7f00:1]/"] {
            await #expect(throws: OnrampError.self, "\(url)") { try await strict.check(url: url, field: "f") }
        }
        let listed = EgressPolicy(allowed: ["127.0.0.0/8"])
        try await listed.check(url: "http://[64:ff9b::7f00:1]:9/", field: "f")
        try await listed.check(url: "http://[2002:7f00:1::]:9/", field: "f")
        await #expect(throws: OnrampError.self) { try await listed.check(url: "http://[2002:a00:1::]/", field: "f") }
    }
}

/// DNS rebinding: a name checked as public that answers 127.0.0.1 when the connection is made is refused,
/// since tenant connections go through the egress proxy, which resolves once and connects to what it checked.
@Suite(.serialized) struct EgressPinningTests {
    /// Answers `first` on the first lookup and `then` on every later one.
    static func rebinding(_ first: String, then: String) -> EgressPolicy.Resolver {
        let lookups = NIOLockedValueBox(0)
        return EgressPolicy.Resolver(name: "rebinding-\(UUID().uuidString)") { _, _ in
            let n = lookups.withLockedValue { count in
                count += 1
                return count
            }
            return [IPAddress(n == 1 ? first : then)!]
        }
    }

    @Test func aNameThatResolvesPrivateOnTheSecondLookupIsRefused() async throws {
        let listener = try LoopbackListener()
        var policy = EgressPolicy()
        policy.resolver = Self.rebinding("93.184.216.34", then: "127.0.0.1")
        let url = "http://rebind.test:\(listener.port)/"
        try await policy.check(url: url, field: "f")
        let client = try OutboundClient.client(for: policy)
        // The connection pool retries a refused tunnel until the request's deadline, then reports the refusal.
        await #expect(throws: (any Error).self) {
            _ = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(3))
        }
        let reason = EgressProxy.refusals.reason(for: "rebind.test:\(listener.port)") ?? ""
        #expect(reason.contains("resolves to 127.0.0.1"), "\(reason)")
        #expect(listener.connections() == 0, "the request reached the private address")
    }

    @Test func theProxyConnectsToTheAddressItCheckedAndNothingElse() async throws {
        let listener = try LoopbackListener()
        var policy = EgressPolicy(allowPrivate: true)
        // Not a name the system resolves: reaching the listener shows the proxy used the checked answer.
        policy.resolver = Self.rebinding("127.0.0.1", then: "127.0.0.1")
        let client = try OutboundClient.client(for: policy)
        _ = try? await client.execute(HTTPClientRequest(url: "http://pinned.test:\(listener.port)/"), timeout: .seconds(1))
        #expect(listener.connections() == 1)
        // Metadata addresses stay refused when private ones are allowed.
        var metadata = EgressPolicy(allowPrivate: true)
        metadata.resolver = Self.rebinding("127.0.0.1", then: "169.254.169.254")
        try await metadata.check(url: "http://meta.test/", field: "f")
        let refusing = try OutboundClient.client(for: metadata)
        await #expect(throws: (any Error).self) {
            _ = try await refusing.execute(HTTPClientRequest(url: "http://meta.test:80/"), timeout: .seconds(5))
        }
        #expect(EgressProxy.refusals.reason(for: "meta.test:80")?.contains("169.254.169.254") == true)
    }

    @Test func aRefusalIsWhatTheClientsErrorSays() {
        let log = RefusalLog()
        #expect(log.description == "the egress proxy refused the connection")
        log.record("rebind.test:80", "rebind.test resolves to 127.0.0.1, a loopback or private address", byPolicy: true)
        #expect(log.description.hasPrefix("refused by the egress policy when connecting (rebind.test:80: "))
        log.record("down.test:80", "connection refused", byPolicy: false)
        #expect(log.description == "down.test:80: connection refused")
        #expect(log.reason(for: "rebind.test:80")?.contains("127.0.0.1") == true)
    }
}
