import OnrampConnectorKit
import OnrampCore

/// A tenant webhook's target: an `http(s)` URL and `secret`, a `${secret:NAME}` reference to a tenant secret bound
/// to that URL's origin (the rule a pipeline's `notify` follows). Checked when stored and again when a run ends.
public enum WebhookTarget {
    /// The secret's name, or an error naming `url` or `secret`; `origins` maps each tenant secret to where it may go.
    @discardableResult
    public static func check(url: String, secret: String, origins: [String: [String]]) throws(OnrampError) -> String {
        guard let origin = SecretOrigin(url: url), ["http", "https"].contains(origin.scheme) else {
            throw OnrampError("webhook.url", "must be an http or https URL with a host", at: "url")
        }
        let references = Placeholders.references(in: .string(secret))
        guard references.count == 1, references[0].kind == "secret", secret == "${secret:\(references[0].name)}" else {
            throw OnrampError("webhook.secret", "must name a tenant secret as ${secret:NAME}", at: "secret")
        }
        let name = references[0].name
        guard let bound = origins[name] else { throw OnrampError("webhook.secret", "the tenant has no secret \(name)", at: "secret") }
        try SecretBinding.check(name, bound: bound, allowUnbound: false, origin: origin, at: "url")
        return name
    }

    /// Where to send and the signing secret's value, once the tenant's secrets are known.
    public static func resolve(url: String, secret: String, secrets: [String: TenantSecret]) throws(OnrampError)
        -> PipelineSpec.Notify {
        let name = try check(url: url, secret: secret, origins: secrets.mapValues(\.origins))
        return PipelineSpec.Notify(url: url, secret: secrets[name]!.value)
    }
}
