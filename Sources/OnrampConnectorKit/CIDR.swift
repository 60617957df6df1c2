import Foundation

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
