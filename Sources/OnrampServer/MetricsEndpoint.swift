import Foundation
import Hummingbird
import OnrampScheduler
import OnrampStore

/// `/metrics`: the process's Prometheus text, the queue gauges refreshed first. With a `token` it answers only
/// `Authorization: Bearer TOKEN` and adds the per-tenant series (they name tenants); without one, totals only.
public struct MetricsEndpoint: Sendable {
    let render: @Sendable () -> String
    let gauges: QueueGauges
    let token: String?

    public init(render: @escaping @Sendable () -> String, store: any OnrampStore, token: String?) {
        self.render = render
        self.token = token
        self.gauges = QueueGauges(store: store, perTenant: token != nil)
    }

    public func respond(to request: Request) async throws -> Response {
        if let token {
            let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            guard let given, AuthMiddleware.constantTimeEquals(given, token) else {
                throw APIError(.unauthorized, "unauthorized", "/metrics needs the metrics token (ONRAMP_METRICS_TOKEN)")
            }
        }
        try await gauges.refresh()
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                        body: .init(byteBuffer: ByteBuffer(string: render())))
    }
}
