import Metrics
import Prometheus

/// The process's metrics backend: Prometheus, rendered as text for `/metrics`.
enum MetricsExport {
    /// Bootstraps the metrics system (once per process) and returns what renders it.
    static func bootstrap() -> @Sendable () -> String {
        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
        return {
            var buffer: [UInt8] = []
            prometheus.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
    }
}
