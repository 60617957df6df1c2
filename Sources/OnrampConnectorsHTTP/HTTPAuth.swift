import Foundation
import NIOHTTP1
import OnrampCore

/// How requests authenticate: the decoded `auth` config of `http_api` and `http`.
struct HTTPAuthConfig: Decodable, Sendable {
    var type: String = "none"
    var username: String?
    var password: String?
    var token: String?
    var name: String?
    var key: String?
    var `in`: String?
    var tokenUrl: String?
    var clientId: String?
    var clientSecret: String?
    var scope: String?
    var clientAuth: String?

    static let none = HTTPAuthConfig(type: "none")

    /// The JSON Schema of `auth` (secret fields marked).
    static let schema: Value = [
        "type": "object", "title": "Authentication", "additionalProperties": false,
        "description": "How every request authenticates.",
        "properties": [
            "type": ["type": "string", "title": "Method", "default": "none",
                     "enum": ["none", "basic", "bearer", "api_key", "oauth2_client_credentials"],
                     "description": .string("basic: username/password; bearer: a token; api_key: a key in a header or query "
                        + "parameter; oauth2_client_credentials: a token from token_url, refreshed when it expires."),
                     "examples": ["bearer"]],
            "username": ["type": "string", "title": "User name", "description": "basic: the user name.",
                         "examples": ["ck_onramp"]],
            "password": ["type": "string", "title": "Password", "x-secret": true, "format": "password",
                         "description": "basic: the password.", "examples": ["${secret:erp_password}"]],
            "token": ["type": "string", "title": "Token", "x-secret": true, "format": "password",
                      "description": "bearer: the token.", "examples": ["${secret:erp_token}"]],
            "name": ["type": "string", "title": "Key name", "default": "X-API-Key", "minLength": 1,
                     "description": "api_key: the header or query parameter that carries the key.",
                     "examples": ["X-Shopify-Access-Token", "api_key"]],
            "key": ["type": "string", "title": "API key", "x-secret": true, "format": "password",
                    "description": "api_key: the key.", "examples": ["${secret:erp_key}"]],
            "in": ["type": "string", "title": "Key placement", "enum": ["header", "query"], "default": "header",
                   "description": "api_key: send the key as a header or as a query parameter.", "examples": ["header"]],
            "token_url": ["type": "string", "title": "Token URL", "minLength": 1, "x-origin": true,
                          "description": "oauth2_client_credentials: the token endpoint.",
                          "examples": ["https://erp.example/oauth/token"]],
            "client_id": ["type": "string", "title": "Client id", "description": "oauth2_client_credentials: the client id.",
                          "examples": ["onramp"]],
            "client_secret": ["type": "string", "title": "Client secret", "x-secret": true, "format": "password",
                              "description": "oauth2_client_credentials: the client secret.",
                              "examples": ["${secret:erp_client_secret}"]],
            "scope": ["type": "string", "title": "Scope", "description": "oauth2_client_credentials: the scope asked for.",
                      "examples": ["orders:read"]],
            "client_auth": ["type": "string", "title": "Client authentication", "enum": ["basic", "body"], "default": "basic",
                            "description": .string("oauth2_client_credentials: send the client id and secret as HTTP Basic "
                                + "(RFC 6749's default) or as form fields."), "examples": ["basic"]],
        ],
    ]
}

/// Applies credentials to requests. OAuth2 tokens come from a shared cache that refreshes them.
struct HTTPAuth: Sendable {
    enum Kind: Sendable {
        case none
        case basic(String)
        case bearer(String)
        case apiKey(name: String, value: String, inQuery: Bool)
        case oauth2(OAuth2TokenCache)
    }

    let kind: Kind
    /// What a person should check after a 401 ("check the API key").
    let hint: String

    /// Builds from the config; `at` is the config path of `auth` for errors.
    /// `caller` (without auth) fetches OAuth2 tokens.
    init(_ c: HTTPAuthConfig, at path: String, caller: HTTPCaller) throws {
        func need(_ v: String?, _ field: String) throws -> String {
            guard let v, !v.isEmpty else {
                throw OnrampError("config.invalid", "auth type \(c.type) needs \(field)", at: "\(path).\(field)")
            }
            return v
        }
        switch c.type {
        case "none":
            kind = .none
            hint = "the API may need authentication (auth)"
        case "basic":
            let user = try need(c.username, "username")
            let credentials = Data("\(user):\(c.password ?? "")".utf8).base64EncodedString()
            kind = .basic("Basic " + credentials)
            hint = "check the user name and password"
        case "bearer":
            kind = .bearer("Bearer " + (try need(c.token, "token")))
            hint = "check the token"
        case "api_key":
            kind = .apiKey(name: c.name ?? "X-API-Key", value: try need(c.key, "key"), inQuery: c.in == "query")
            hint = "check the API key"
        case "oauth2_client_credentials":
            let url = try need(c.tokenUrl, "token_url")
            let id = try need(c.clientId, "client_id")
            let secret = try need(c.clientSecret, "client_secret")
            kind = .oauth2(OAuth2TokenCache(tokenURL: url, clientID: id, clientSecret: secret, scope: c.scope,
                                            basic: c.clientAuth != "body", field: "\(path).token_url", caller: caller))
            hint = "check the client id and secret"
        default:
            throw OnrampError("config.invalid", "unknown auth type \(c.type)", at: "\(path).type")
        }
    }

    /// The request URL with a query-parameter key added (the URL given stays the one shown in messages).
    func requestURL(_ url: String) -> String {
        guard case .apiKey(let name, let value, true) = kind else { return url }
        let separator = url.contains("?") ? "&" : "?"
        return url + separator + HTTPTemplate.percentEncode(name) + "=" + HTTPTemplate.percentEncode(value)
    }

    func authorize(_ headers: inout HTTPHeaders) async throws {
        switch kind {
        case .none: return
        case .basic(let v), .bearer(let v): headers.replaceOrAdd(name: "Authorization", value: v)
        case .apiKey(let name, let value, let inQuery): if !inQuery { headers.replaceOrAdd(name: name, value: value) }
        case .oauth2(let cache): headers.replaceOrAdd(name: "Authorization", value: "Bearer " + (try await cache.token()))
        }
    }

    /// Drops a cached token after a 401; true when a retry with a fresh one is worth it.
    func invalidate() async -> Bool {
        guard case .oauth2(let cache) = kind else { return false }
        await cache.invalidate()
        return true
    }
}
