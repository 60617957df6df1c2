import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampStore

/// A run's pipeline version as a run sees it: connections expanded, `${…}` resolved under the tenant policy with the
/// tenant's secrets; and where its webhooks go once it ended. Shared by the worker and the notifier.
public struct RunResolver: Sendable {
    let store: any OnrampStore
    let registry: ConnectorRegistry
    let policy: TenantPolicy
    let secrets: RunWorker.SecretResolver?

    public init(store: any OnrampStore, registry: ConnectorRegistry, policy: TenantPolicy, secrets: RunWorker.SecretResolver?) {
        self.store = store
        self.registry = registry
        self.policy = policy
        self.secrets = secrets
    }

    /// The resolved document and spec, and the tenant's secrets.
    func resolve(_ run: RunRecord) async throws -> (resolved: (spec: PipelineSpec, document: Value), secrets: [String: TenantSecret]) {
        guard let version = try await store.pipeline(id: run.pipelineId, version: run.pipelineVersion) else {
            throw OnrampError("run.pipeline_missing", "pipeline \(run.pipelineId) version \(run.pipelineVersion) does not exist")
        }
        let connections = try await store.connectionMap(tenantId: run.tenantId)
        let document = try Connections.expand(version.document, connections)
        let tenantSecrets = try await secrets?(run.tenantId) ?? [:]
        return (try policy.resolve(document, secrets: tenantSecrets, registry: registry, file: version.name), tenantSecrets)
    }

    /// A finished run's webhooks (`RunNotifier.Targets`): its pipeline's `notify`, resolved as a run resolves its
    /// document, and the tenant's own webhook when it sends the run's end state, its secret resolved and checked
    /// against the url's origin again (the secret may have been rebound since the webhook was stored).
    public func noticeTargets(_ run: RunRecord) async -> (targets: [RunNotifier.Target], problems: [String]) {
        var targets: [RunNotifier.Target] = []
        var problems: [String] = []
        do {
            if try await store.pipeline(id: run.pipelineId, version: run.pipelineVersion)?.document["notify"] != nil,
               let notify = try await resolve(run).resolved.spec.notify {
                targets.append(RunNotifier.Target(name: "pipeline", notify: notify))
            }
        } catch {
            problems.append("pipeline webhook: \(error)")
        }
        do {
            if let hook = try await store.webhook(tenantId: run.tenantId), hook.sends(run.state) {
                let notify = try WebhookTarget.resolve(url: hook.url, secret: hook.secret,
                                                       secrets: try await secrets?(run.tenantId) ?? [:])
                targets.append(RunNotifier.Target(name: "tenant", notify: notify))
            }
        } catch {
            problems.append("tenant webhook: \(error)")
        }
        return (targets, problems)
    }
}
