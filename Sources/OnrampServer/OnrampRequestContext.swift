import Hummingbird
import OnrampStore

/// Who is calling: set by `AuthMiddleware` from the API key.
public struct Principal: Sendable {
    /// The API key's id, or the signed-in user's id.
    public var keyId: String
    public var role: Role
    public var tenantId: String?
    /// Set when the caller is a signed-in person (cookie session), for logout.
    public var sessionHash: String?
    /// Set when the caller used an API key: its secret's hash, to check later that it still holds.
    public var keyHash: String?
    /// The key's name or the person's e-mail, for the audit log.
    public var name: String = ""

    /// Whether this principal may see the tenant at all (others get 404, never 403).
    public func canSee(tenant: String) -> Bool { role.isPlatformWide || tenantId == tenant }
}

public struct OnrampRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// The socket peer's IP address (nil in router tests); `ClientOrigin` decides what to trust.
    public var peerAddress: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }
}
