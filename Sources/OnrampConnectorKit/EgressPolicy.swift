import Foundation
import OnrampCore

/// Which addresses a tenant's outbound connections may reach, checked after DNS resolution against every
/// address a host resolves to. Link-local and cloud metadata addresses are refused always; loopback,
/// private and unspecified addresses unless the operator allows private egress or lists the host or CIDR.
/// CLI runs are the operator's own and are `unrestricted`.
public struct EgressPolicy: Sendable, Equatable, Codable {
    public var restricted: Bool
    public var allowPrivate: Bool
    /// Host names (exact, case-insensitive), addresses and CIDR blocks reachable even when private.
    public var allowed: [String]
    /// Connectors may sign with the platform's own cloud role (EC2 instance metadata) when a config gives
    /// no keys. Off for tenants unless the operator allows it; CLI runs (`unrestricted`) always may.
    public var instanceCredentials: Bool

    public init(restricted: Bool = true, allowPrivate: Bool = false, allowed: [String] = [],
                instanceCredentials: Bool = false) {
        self.restricted = restricted
        self.allowPrivate = allowPrivate
        self.allowed = allowed
        self.instanceCredentials = instanceCredentials || !restricted
    }

    enum CodingKeys: String, CodingKey { case restricted, allowPrivate, allowed, instanceCredentials }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(restricted: try c.decode(Bool.self, forKey: .restricted),
                  allowPrivate: try c.decode(Bool.self, forKey: .allowPrivate), allowed: try c.decode([String].self, forKey: .allowed),
                  instanceCredentials: try c.decodeIfPresent(Bool.self, forKey: .instanceCredentials) ?? false)
    }

    public static let unrestricted = EgressPolicy(restricted: false)

    /// Throws `egress.refused` naming `field` when `url`'s host may not be reached.
    public func check(url: String, field: String) async throws {
        guard restricted else { return }
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw OnrampError("egress.url", "not a URL with a host", at: field)
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw OnrampError("egress.url", "only http and https URLs are reachable", at: field)
        }
        try await check(host: host, field: field)
    }

    /// Throws `egress.refused` naming `field` when `host` (a name or an address, IPv6 with or without
    /// brackets) may not be reached: for connections that are not HTTP (databases).
    public func check(host: String, field: String) async throws {
        guard restricted else { return }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        guard !bare.isEmpty else { throw OnrampError("egress.host", "no host to connect to", at: field) }
        let addresses = try await Self.resolve(bare, field: field)
        for address in addresses {
            if let reason = refusal(address, host: bare) {
                throw OnrampError("egress.refused", "\(host) resolves to \(address.text), \(reason)", at: field)
            }
        }
    }

    /// Why `address` may not be reached, or nil.
    public func refusal(_ address: IPAddress, host: String) -> String? {
        switch address.category {
        case .metadata: return "a link-local or cloud metadata address, which tenants never reach"
        case .public: return nil
        case .private:
            if allowPrivate { return nil }
            let listed = allowed.contains { entry in
                entry.caseInsensitiveCompare(host) == .orderedSame || (CIDR(entry)?.contains(address) ?? false)
            }
            return listed ? nil : "a loopback or private address (the operator allows these with --allow-private-egress "
                + "or --egress-allow)"
        }
    }

    static func resolve(_ host: String, field: String) async throws -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var list: UnsafeMutablePointer<addrinfo>?
                let rc = getaddrinfo(host, nil, &hints, &list)
                guard rc == 0, let first = list else {
                    continuation.resume(throwing: OnrampError("egress.dns", "cannot resolve \(host)", at: field))
                    return
                }
                defer { freeaddrinfo(first) }
                var out: [IPAddress] = []
                var node: UnsafeMutablePointer<addrinfo>? = first
                while let n = node {
                    if let a = IPAddress(sockaddr: n.pointee.ai_addr) { out.append(a) }
                    node = n.pointee.ai_next
                }
                continuation.resume(returning: out)
            }
        }
    }
}

/// An IPv4 or IPv6 address as its bytes (4 or 16).
public struct IPAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Category: Sendable { case `public`, `private`, metadata }
    public let bytes: [UInt8]

    public init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    init?(sockaddr: UnsafeMutablePointer<sockaddr>?) {
        guard let sockaddr else { return nil }
        switch Int32(sockaddr.pointee.sa_family) {
        case AF_INET:
            bytes = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) }
            }
        case AF_INET6:
            bytes = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
            }
        default:
            return nil
        }
    }

    public var text: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, 64) }
        return String(cString: buffer)
    }

    public var description: String { text }

    /// The IPv4 address an IPv4-mapped or -compatible IPv6 address carries.
    var embeddedV4: [UInt8]? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }) else { return nil }
        if bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
        return nil
    }

    public var category: Category {
        let b = embeddedV4 ?? bytes
        if b.count == 4 {
            if b[0] == 169 && b[1] == 254 { return .metadata }
            if b[0] == 127 || b[0] == 10 || b[0] == 0 || (b[0] == 172 && (16...31).contains(b[1]))
                || (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (64...127).contains(b[1])) || b[0] >= 224 {
                return .private
            }
            return .public
        }
        if b == [0xfd, 0x00, 0x0e, 0xc2] + [UInt8](repeating: 0, count: 10) + [0x02, 0x54] { return .metadata }
        if b[0] == 0xfe && (b[1] & 0xc0) == 0x80 { return .metadata }
        if b.allSatisfy({ $0 == 0 }) || b == [UInt8](repeating: 0, count: 15) + [1] { return .private }
        if (b[0] & 0xfe) == 0xfc || b[0] == 0xff { return .private }
        return .public
    }
}

/// A CIDR block (`10.0.0.0/8`, `fd00::/8`) or one address.
struct CIDR {
    let network: IPAddress
    let prefix: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = IPAddress(parts[0]) else { return nil }
        let bits = address.bytes.count * 8
        guard let p = parts.count == 2 ? Int(parts[1]) : bits, (0...bits).contains(p) else { return nil }
        network = address
        prefix = p
    }

    func contains(_ address: IPAddress) -> Bool {
        let a = address.bytes.count == network.bytes.count ? address.bytes : (address.embeddedV4 ?? [])
        guard a.count == network.bytes.count else { return false }
        for i in 0..<prefix {
            let mask = UInt8(0x80) >> UInt8(i % 8)
            if a[i / 8] & mask != network.bytes[i / 8] & mask { return false }
        }
        return true
    }
}
