import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import OnrampCore
@testable import OnrampServer
import Prometheus
import Testing

@Suite struct MetricsTests {
    /// The process's one metrics backend (swift-metrics is bootstrapped once per process).
    static let prometheus: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    @Test func runsAndQueueDepthAreExposed() async throws {
        let registry = Self.prometheus
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        var api = f.api
        api.metricsText = {
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
        let app = Application(router: Conformance(api.buildRouter()))
        try await app.test(.router) { client in
            let saved = try await client.execute(uri: "/api/v1/tenants/acme/pipelines", method: .post, headers: [.authorization: "Bearer \(f.keys["engineer"]!)"],
                                                 body: APITests.body(APITests.pipeline(f.dir)))
            let pid = try APITests.json(saved)["id"]!.stringValue!
            _ = try await client.execute(uri: "/api/v1/tenants/acme/secrets/OUT_FILE", method: .put, headers: [.authorization: "Bearer \(f.keys["engineer"]!)"],
                                         body: APITests.body(["value": "m.ndjson"]))
            _ = try await client.execute(uri: "/api/v1/tenants/acme/pipelines/\(pid)/runs", method: .post, headers: [.authorization: "Bearer \(f.keys["engineer"]!)"])
            let queued = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(queued.contains("onramp_queue_depth 1"))
            let worker = Task { try await f.api.worker!.run() }
            defer { worker.cancel() }
            for _ in 0..<250 {
                let finished = await f.store.runs(tenantId: "acme", pipelineId: nil, state: nil, limit: 1, after: nil).first?.state.isFinished
                if finished == true { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(text.contains("onramp_queue_depth 0"))
            #expect(text.contains(#"onramp_runs_total{state="succeeded_with_errors"}"#))
            #expect(text.contains(#"onramp_records_failed_total{stage="transform"}"#))
            #expect(text.contains("onramp_run_duration_seconds"))
        }
    }
}
