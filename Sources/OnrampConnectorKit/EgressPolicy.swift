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
    /// How host names become addresses (not encoded: each process uses the system's). Tests replace it.
    public var resolver = Resolver.system

    /// Looks a host name up; `system` is getaddrinfo.
    public struct Resolver: Sendable {
        /// Tells resolvers apart where policies are cached (`system`; a test names its own uniquely).
        public var name: String
        public var lookup: @Sendable (_ host: String, _ field: String) async throws -> [IPAddress]
        public init(name: String, lookup: @escaping @Sendable (String, String) async throws -> [IPAddress]) {
            self.name = name
            self.lookup = lookup
        }
        public static let system = Resolver(name: "system") { host, field in
            try await EgressPolicy.resolve(host, field: field)
        }
    }

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

    public static func == (a: EgressPolicy, b: EgressPolicy) -> Bool {
        a.restricted == b.restricted && a.allowPrivate == b.allowPrivate && a.allowed == b.allowed
            && a.instanceCredentials == b.instanceCredentials
    }

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
        _ = try await pin(host: host, field: field)
    }

    /// Resolves `host` once and checks every address it resolves to: the address to connect to (and connect
    /// to nothing else, so a second DNS answer cannot differ from the checked one). Throws as `check` does.
    public func pin(host: String, field: String) async throws -> IPAddress {
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        guard !bare.isEmpty else { throw OnrampError("egress.host", "no host to connect to", at: field) }
        let addresses = if let literal = IPAddress(bare) { [literal] } else { try await resolver.lookup(bare, field) }
        guard let first = addresses.first else {
            throw OnrampError("egress.dns", "\(host) resolves to no address", at: field)
        }
        guard restricted else { return first }
        for address in addresses {
            if let reason = refusal(address, host: bare) {
                throw OnrampError("egress.refused", "\(host) resolves to \(address.text), \(reason)", at: field)
            }
        }
        return first
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
