import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import OnrampCore
import OnrampStore
@testable import OnrampServer
import Prometheus
import Testing

@Suite(.serialized) struct MetricsTests {
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
        api.metrics = MetricsEndpoint(render: Self.render(registry), store: f.store, token: nil)
        let app = Application(router: Conformance(api.buildRouter()))
        try await app.test(.router) { client in
            let saved = try await client.execute(uri: "/api/v1/tenants/acme/pipelines", method: .post, headers: [.authorization: "Bearer \(f.keys["engineer"]!)"],
                                                 body: APITests.body(APITests.pipeline(f.dir)))
            let pid = try APITests.json(saved)["id"]!.stringValue!
            _ = try await client.execute(uri: "/api/v1/tenants/acme/secrets/OUT_FILE", method: .put, headers: [.authorization: "Bearer \(f.keys["engineer"]!)"],
                                         body: APITests.body(["value": "m.ndjson"]))
            _ = try await client.execute(uri: "/api/v1/tenants/acme/pipelines/\(pid)/runs", method: .post, headers: [.authorization: "Bearer \(f.keys["engineer"]!)"])
            let queued = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(queued.contains("onramp_queue_depth 1") && queued.contains("onramp_runs_running 0"))
            #expect(!queued.contains("onramp_tenant_"), "tenant series without the metrics token")
            let worker = Task { try await f.api.worker!.run() }
            defer { worker.cancel() }
            for _ in 0..<250 {
                let finished = try? await f.store.runs(tenantId: "acme", pipelineId: nil, state: nil, limit: 1, after: nil).first?.state.isFinished
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

    static func render(_ registry: PrometheusCollectorRegistry) -> @Sendable () -> String {
        {
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
    }

    /// Behind the metrics token: refusals without it, and each tenant's queue while it has runs (then not at all).
    @Test func theTokenGuardsThePerTenantQueueSeries() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        var api = f.api
        let token = String(repeating: "m", count: 40)
        api.metrics = MetricsEndpoint(render: Self.render(Self.prometheus), store: f.store, token: token)
        let created = Date().addingTimeInterval(-90)
        try await f.store.enqueue(RunRecord(id: "mq1", tenantId: "metrics-a", pipelineId: "p1", pipelineVersion: 1,
                                            trigger: "manual", createdAt: created))
        try await f.store.enqueue(RunRecord(id: "mq2", tenantId: "metrics-a", pipelineId: "p2", pipelineVersion: 1,
                                            trigger: "manual", createdAt: Date()))
        let app = Application(router: Conformance(api.buildRouter()))
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/metrics", method: .get,
                                             headers: [.authorization: "Bearer \(token)x"]).status == .unauthorized)
            let authorized: HTTPFields = [.authorization: "Bearer \(token)"]
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get, headers: authorized).body)
            #expect(text.contains(#"onramp_tenant_queue_depth{tenant="metrics-a"} 2"#))
            #expect(text.contains(#"onramp_tenant_runs_running{tenant="metrics-a"} 0"#))
            let age = text.split(separator: "\n").first { $0.hasPrefix(#"onramp_tenant_queue_oldest_age_seconds{tenant="metrics-a"}"#) }
            let seconds = try #require(age.flatMap { Double($0.split(separator: " ").last ?? "") })
            #expect(seconds >= 90 && seconds < 150, "\(seconds)")
            for id in ["mq1", "mq2"] {
                let run = try #require(try await f.store.claim(worker: "w", now: Date(), lease: 30, perTenantLimit: 5))
                #expect(try await f.store.finish(try #require(run.fence), state: .succeeded, summary: [:], at: Date()), "\(id)")
            }
            let after = String(buffer: try await client.execute(uri: "/metrics", method: .get, headers: authorized).body)
            #expect(!after.contains(#"tenant="metrics-a""#), "an idle tenant keeps no series")
        }
    }
}
