import ArgumentParser
import Foundation
import Metrics
import OnrampServer
import OnrampStore
import Prometheus

/// The process's metrics backend: Prometheus, rendered as text for `/metrics`.
enum MetricsExport {
    /// Bootstraps the metrics system (once per process) and returns `/metrics` for `store`, behind
    /// `ONRAMP_METRICS_TOKEN` when that is set (32+ characters: it guards the per-tenant series).
    static func endpoint(store: any OnrampStore, environment: [String: String]) throws -> MetricsEndpoint {
        let token = environment["ONRAMP_METRICS_TOKEN"]
        if let token, token.count < 32 {
            throw ValidationError("ONRAMP_METRICS_TOKEN has \(token.count) characters; it needs at least 32 "
                                  + "(for example: openssl rand -base64 32)")
        }
        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
        let render: @Sendable () -> String = {
            var buffer: [UInt8] = []
            prometheus.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
        return MetricsEndpoint(render: render, store: store, token: token)
    }
}
