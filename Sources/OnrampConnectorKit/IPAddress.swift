import Foundation

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

    /// The IPv4 address an IPv6 address carries where the network delivers it to that IPv4 host: IPv4-mapped
    /// (`::ffff:a.b.c.d`), SIIT-translated (`::ffff:0:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64's
    /// well-known prefix (`64:ff9b::/96`) and 6to4 (`2002:AABB:CCDD::/48`). Nil for an IPv4 address or none.
    var embeddedV4: [UInt8]? {
        guard bytes.count == 16 else { return nil }
        let b = bytes
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return Array(b[12...]) }
        if b[0..<8].allSatisfy({ $0 == 0 }) && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0 {
            return Array(b[12...])
        }
        if b[0..<12].allSatisfy({ $0 == 0 }) { return Array(b[12...]) }
        if b[0..<4] == [0x00, 0x64, 0xFF, 0x9B] && b[4..<12].allSatisfy({ $0 == 0 }) { return Array(b[12...]) }
        if b[0] == 0x20 && b[1] == 0x02 { return Array(b[2..<6]) }
        return nil
    }

    /// Every IPv4 address this IPv6 address may reach besides `embeddedV4`, by the rules of prefixes whose
    /// embedding is not one address: Teredo (`2001::/32`: the server at bits 32-63 and the client, inverted,
    /// at the last 32 bits) and NAT64's local-use prefix (`64:ff9b:1::/48`, which an operator may use with any
    /// of RFC 6052's prefix lengths /48 to /96, so each position is read).
    var possibleV4: [[UInt8]] {
        guard bytes.count == 16 else { return [] }
        let b = bytes
        if b[0..<4] == [0x20, 0x01, 0x00, 0x00] { return [Array(b[4..<8]), b[12...].map { $0 ^ 0xFF }] }
        guard b[0..<6] == [0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01] else { return [] }
        // RFC 6052 section 2.2: the v4 octets sit around the reserved octet 8 ("u"), by prefix length.
        return [[b[6], b[7], b[9], b[10]], [b[7], b[9], b[10], b[11]], [b[9], b[10], b[11], b[12]],
                [b[12], b[13], b[14], b[15]]]
    }

    public var category: Category {
        if let v4 = embeddedV4 { return Self.v4Category(v4) }
        let b = bytes
        if b.count == 4 { return Self.v4Category(b) }
        // The local-use NAT64 prefix is never routed publicly: private, or metadata below.
        var worst = b[0..<6] == [0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01] ? .private : Self.v6Category(b)
        for v4 in possibleV4 {
            switch Self.v4Category(v4) {
            case .metadata: return .metadata
            case .private: worst = .private
            case .public: break
            }
        }
        return worst
    }

    /// Cloud metadata and host services outside 169.254/16: Alibaba's 100.100.100.200, Azure's wire server
    /// 168.63.129.16, Oracle's 192.0.0.192.
    static let v4Metadata: Set<[UInt8]> = [[100, 100, 100, 200], [168, 63, 129, 16], [192, 0, 0, 192]]

    static func v4Category(_ b: [UInt8]) -> Category {
        if b[0] == 169 && b[1] == 254 || v4Metadata.contains(Array(b.prefix(4))) { return .metadata }
        if b[0] == 127 || b[0] == 10 || b[0] == 0 || (b[0] == 172 && (16...31).contains(b[1]))
            || (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (64...127).contains(b[1])) || b[0] >= 224
            || (b[0] == 198 && (b[1] == 18 || b[1] == 19)) || (b[0] == 192 && b[1] == 0 && b[2] == 0) {
            return .private
        }
        return .public
    }

    static func v6Category(_ b: [UInt8]) -> Category {
        if b == [0xfd, 0x00, 0x0e, 0xc2] + [UInt8](repeating: 0, count: 10) + [0x02, 0x54] { return .metadata }
        if b[0] == 0xfe && (b[1] & 0xc0) == 0x80 { return .metadata }
        if (b[0] & 0xfe) == 0xfc || b[0] == 0xff || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) { return .private }
        return .public
    }
}
