import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OnrampConnectorKit

/// The HTTP client for requests a tenant's pipeline makes (TAXMAN, webhooks): redirects are not
/// followed, since the egress policy checks the address a request is sent to, not where a server
/// redirects it (a 3xx answer is an error like any other status).
public enum OutboundClient {
    /// For the operator's own runs (`EgressPolicy.unrestricted`): straight to the host.
    public static let shared = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                          configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    private static let clients = NIOLockedValueBox<[(key: String, policy: EgressPolicy, client: HTTPClient)]>([])

    /// The client for requests under `egress`: `shared` when unrestricted, else one whose every connection goes
    /// through an `EgressProxy` for that policy (one per policy and process), so it reaches only the address
    /// the policy checked. `connectSeconds` nil: AsyncHTTPClient's default connect timeout.
    public static func client(for egress: EgressPolicy, connectSeconds: Int64? = nil) throws -> HTTPClient {
        if !egress.restricted && connectSeconds == nil { return shared }
        let connectTimeout = connectSeconds.map { TimeAmount.seconds($0) }
        let key = "\(egress.resolver.name)/\(connectSeconds.map(String.init) ?? "-")"
        // Clients live as long as the process (one is never shut down): one per policy and timeout.
        return try clients.withLockedValue { all in
            if let found = all.first(where: { $0.key == key && $0.policy == egress }) { return found.client }
            var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                         timeout: .init(connect: connectTimeout))
            if egress.restricted {
                configuration.proxy = .server(host: "127.0.0.1", port: try EgressProxy.serve(policy: egress).port)
            }
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            all.append((key, egress, client))
            return client
        }
    }
}
