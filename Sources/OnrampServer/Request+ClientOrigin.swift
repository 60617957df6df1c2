import HTTPTypes
import Hummingbird

/// What the server may believe about where a request came from. The forwarded headers count only
/// with `--trust-proxy`, and then only the value the nearest proxy added (the last one).
extension Request {
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// Whether the client reached us over HTTPS: our own TLS, or a trusted proxy's `X-Forwarded-Proto: https`.
    func arrivedOverHTTPS(tls: Bool, trustProxy: Bool) -> Bool {
        if tls { return true }
        guard trustProxy, let proto = lastForwarded(Self.forwardedProto) else { return false }
        return proto.lowercased() == "https"
    }

    /// The client's address: the trusted proxy's `X-Forwarded-For` entry, else the socket peer.
    func clientAddress(peer: String?, trustProxy: Bool) -> String {
        if trustProxy, let forwarded = lastForwarded(Self.forwardedFor), !forwarded.isEmpty { return forwarded }
        return peer ?? "unknown"
    }

    private func lastForwarded(_ name: HTTPField.Name) -> String? {
        let values = headers[values: name].flatMap { $0.split(separator: ",") }
        return values.last.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
