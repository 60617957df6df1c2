import Foundation
import NIOHTTP1
import OnrampCore

/// OAuth2 client credentials (RFC 6749 §4.4): fetches a token from `tokenURL`, reuses it until shortly
/// before it expires (`expires_in`), and fetches a new one after `invalidate` (a 401). Concurrent callers
/// share one token request.
actor OAuth2TokenCache {
    let tokenURL: String
    let clientID: String
    let clientSecret: String
    let scope: String?
    let basic: Bool
    let field: String
    let caller: HTTPCaller
    /// The clock expiry is measured on (tests move it).
    var now: @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    private var current: (token: String, expires: ContinuousClock.Instant?)?
    private var pending: Task<(String, ContinuousClock.Instant?), any Error>?
    private(set) var fetches = 0

    init(tokenURL: String, clientID: String, clientSecret: String, scope: String?, basic: Bool, field: String,
         caller: HTTPCaller) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
        self.basic = basic
        self.field = field
        self.caller = caller
    }

    func setClock(_ clock: @escaping @Sendable () -> ContinuousClock.Instant) { now = clock }

    /// A valid access token, fetched when there is none or it is about to expire.
    func token() async throws -> String {
        if let current, current.expires.map({ now() < $0 }) ?? true { return current.token }
        if let pending { return try await pending.value.0 }
        let task = Task { try await fetch() }
        pending = task
        defer { pending = nil }
        let (token, expires) = try await task.value
        current = (token, expires)
        return token
    }

    func invalidate() { current = nil }

    private func fetch() async throws -> (String, ContinuousClock.Instant?) {
        fetches += 1
        var form = "grant_type=client_credentials"
        if let scope, !scope.isEmpty { form += "&scope=" + HTTPTemplate.percentEncode(scope) }
        var headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
        if basic {
            let pair = HTTPTemplate.percentEncode(clientID) + ":" + HTTPTemplate.percentEncode(clientSecret)
            headers.append(("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
        } else {
            form += "&client_id=" + HTTPTemplate.percentEncode(clientID)
            form += "&client_secret=" + HTTPTemplate.percentEncode(clientSecret)
        }
        let started = now()
        // Asking for a token twice only issues two tokens: the request may be repeated.
        let answer = try await caller.send(.POST, tokenURL, headers: headers, body: Array(form.utf8),
                                           idempotent: true, field: field)
        guard (200..<300).contains(answer.status) else {
            let why = answer.status == 400 || answer.status == 401 ? ": check the client id and secret" : ""
            throw OnrampError("http.oauth2", "the token request to \(tokenURL) answered \(answer.status)\(why) "
                              + "(\(answer.excerpt))", at: field)
        }
        guard let body = try? JSONParser.parse(answer.body), let token = body["access_token"]?.stringValue,
              !token.isEmpty else {
            throw OnrampError("http.oauth2", "the token response from \(tokenURL) has no access_token", at: field)
        }
        let lifetime = body["expires_in"]?.numberValue ?? body["expires_in"]?.stringValue.flatMap(Double.init)
        return (token, Self.lifetime(lifetime).map { started + $0 })
    }

    /// The longest lifetime believed: a larger `expires_in` (1e300, infinity) is taken as one year.
    static let maxLifetimeSeconds: Double = 365 * 24 * 3600

    /// How long a token with `expires_in` seconds is used: renewed a little early (10% of the lifetime, at
    /// most 60 s), clamped to 0…1 year; nil (use it until a 401) when `expires_in` is absent or not a number.
    static func lifetime(_ expiresIn: Double?) -> Duration? {
        guard let s = expiresIn, !s.isNaN else { return nil }
        let clamped = min(max(s, 0), maxLifetimeSeconds)
        return .milliseconds(Int64((clamped - min(60, clamped / 10)) * 1000))
    }
}
