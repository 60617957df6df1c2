import OnrampCore

/// One request a connector sends through its host's HTTP client: the body is sent whole, the answer read whole.
public struct ConnectorHTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// The whole exchange, head and body, must be over within this.
    public var timeout: Duration
    /// A longer answer is refused with `http.too_large`.
    public var maxResponseBytes: Int

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [],
                body: [UInt8]? = nil, timeout: Duration = .seconds(30), maxResponseBytes: Int = 16 << 20) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }
}

/// An answer, whatever its status (a 3xx is an answer: the host follows no redirect).
public struct ConnectorHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// No answer came. `notSent`: no connection could be made, so the server saw nothing and the request may be sent
/// again whatever its method; `timeout` and `broken` may have reached the server.
public struct ConnectorHTTPFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case notSent, timeout, broken }
    public var kind: Kind
    /// A sentence a person can act on ("connection refused", "timed out: no complete answer within 10 s").
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// The host's HTTP client for a run: it checks the run's egress policy before connecting and connects only to the
/// address it checked, follows no redirect, and holds the timeout and size cap. It throws `ConnectorHTTPFailure`
/// when no answer came and `OnrampError` for a refused address (`egress.*`) or an answer past the cap.
public protocol ConnectorHTTPClient: Sendable {
    func send(_ request: ConnectorHTTPRequest, field: String) async throws -> ConnectorHTTPResponse
}

/// Gives the HTTP client for an egress policy; the host registers one (`ConnectorRegistry.http`).
public protocol ConnectorHTTPProvider: Sendable {
    func client(for egress: EgressPolicy) throws -> any ConnectorHTTPClient
}
