import Logging
import OnrampCore
import OnrampEngine
import OnrampStore

extension RunWorker {
    /// The tenant's own webhook for a run that ended in `state`, its secret resolved and checked against the url's
    /// origin again (the secret may have been rebound since the webhook was stored); nil when none is to be sent.
    func tenantWebhook(_ run: RunRecord, state: RunState, log: Logger) async -> PipelineSpec.Notify? {
        do {
            guard let hook = try await store.webhook(tenantId: run.tenantId), hook.sends(state) else { return nil }
            return try WebhookTarget.resolve(url: hook.url, secret: hook.secret, secrets: try await secrets?(run.tenantId) ?? [:])
        } catch {
            log.warning("the tenant's webhook is not sent", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
