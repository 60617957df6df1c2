import AsyncHTTPClient

/// The HTTP client for requests a tenant's pipeline makes (TAXMAN, webhooks): redirects are not
/// followed, since the egress policy checks the address a request is sent to, not where a server
/// redirects it (a 3xx answer is an error like any other status).
public enum OutboundClient {
    public static let shared = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                   configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
}
