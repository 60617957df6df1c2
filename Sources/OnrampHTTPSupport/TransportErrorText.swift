import AsyncHTTPClient
import NIOCore

/// Words for a failed connection a person can act on: "connection refused", "no such host", "timed out".
public enum TransportErrorText {
    public static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout, .deadlineExceeded, .readTimeout: return "timed out"
            case .remoteConnectionClosed: return "the server closed the connection"
            case .invalidProxyResponse: return EgressProxy.refusals.description
            default: break
            }
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("errno: 111") {
            return "connection refused"
        }
        if text.contains("NXDOMAIN") || text.contains("unknownHost") || text.contains("Name or service not known")
            || text.contains("lookup") {
            return "no such host"
        }
        if text.contains("handshake") || text.contains("certificate") || text.contains("SSL") { return "TLS failed: \(text)" }
        return text.count > 200 ? String(text.prefix(200)) : text
    }
}
