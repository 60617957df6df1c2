import OnrampConnectorKit
import OnrampConnectorsHTTP
import OnrampCore
import OnrampEngine
import Testing

/// A secret goes only to the origins it is bound to: whatever fields a connector's schema marks `x-origin`.
@Suite struct SecretBindingTests {
    static let origins: [(String, String?)] = [
        ("https://api.taxman.example", "https://api.taxman.example"),
        ("HTTPS://API.Taxman.Example:443/", "https://api.taxman.example"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081"), ("postgres://db.acme:5432", "postgres://db.acme"),
        ("postgres://db.acme", "postgres://db.acme"), ("postgres://db.acme:6432", "postgres://db.acme:6432"), ("https://[::1]:9/", "https://[::1]:9"),
        ("https://api.taxman.example/v1", nil), ("api.taxman.example", nil), ("https://", nil), ("https://a:0", nil),
        ("https://a:99999", nil), ("https://{host}/", nil), ("https://a b/", nil),
    ]

    @Test(arguments: origins) func originsAreParsedInTheirNormalForm(_ text: String, _ expected: String?) {
        #expect(SecretOrigin(origin: text)?.description == expected, "\(text)")
    }

    @Test func aURLsOriginIsTheHostItsClientConnectsTo() {
        for (url, origin) in [("https://api.taxman.example/v1/calculate?x=1", "https://api.taxman.example"),
                              ("https://user:pw@api.taxman.example/", "https://api.taxman.example"),
                              ("https://evil.example#@api.taxman.example/", "https://evil.example"),
                              ("https://shop.example/orders/{id}", "https://shop.example")] {
            #expect(SecretOrigin(url: url)?.description == origin, "\(url)")
        }
        // Where parsers could disagree on the host, there is no origin (and a secret is refused).
        for url in ["https://{record.host}/orders", "/relative", "https://%65vil.example/", "https://evil.example\\@api.taxman.example/",
                    "https://erp.acme\\@evil.example:{443}/orders", "https://erp.acme:{443}/"] {
            #expect(SecretOrigin(url: url) == nil, "\(url)")
        }
    }

    static func registry() -> ConnectorRegistry {
        var r = ConnectorRegistry()
        HTTPConnectors.register(into: &r)
        // A connector of any family: only its schema's markers matter.
        let schema: Value = ["type": "object", "properties": [
            "host": ["type": "string", "x-origin": "db://{host}:{port}"], "port": ["type": "integer", "default": 7000],
            "password": ["type": "string", "x-secret": true],
        ]]
        r.register(DestinationSpec(name: "db", summary: "", configSchema: schema) { _, _ in
            throw OnrampError("test", "not built")
        })
        // A plugin's spec: a secret field, and a URL it is not marked as the origin of.
        let plugin: Value = ["type": "object", "properties": ["settings": ["type": "object", "properties": [
            "url": ["type": "string"], "api_key": ["type": "string", "x-secret": true]]]]]
        r.register(DestinationSpec(name: "plugin_sink", summary: "", configSchema: plugin) { _, _ in
            throw OnrampError("test", "not built")
        })
        return r
    }

    static func pipeline(_ destination: Value, notify: Value? = nil) -> Value {
        var d: Value.Object = ["version": 1, "name": "p", "source": ["connector": "csv", "config": ["path": "in.csv"]],
                               "destination": destination]
        if let notify { d["notify"] = notify }
        return .object(d)
    }

    static func taxman(_ url: String) -> Value {
        ["connector": "taxman", "config": ["base_url": .string(url), "api_key": "${secret:KEY}"]]
    }

    func refusal(_ document: Value, _ origins: [String], policy: TenantPolicy = TenantPolicy(dataDirectory: "/tmp/x"))
        -> OnrampError? {
        do {
            try policy.checkReferences(document, secrets: ["KEY": origins], registry: Self.registry())
            return nil
        } catch {
            return error as? OnrampError
        }
    }

    @Test func everyOriginFieldMustNameAnOriginOfTheSecret() throws {
        let bound = ["https://api.taxman.example"]
        #expect(refusal(Self.pipeline(Self.taxman("https://api.taxman.example/v1")), bound) == nil)
        #expect(refusal(Self.pipeline(Self.taxman("https://API.taxman.example:443")), bound) == nil)
        for url in ["https://evil.example", "http://api.taxman.example", "https://api.taxman.example:8443",
                    "https://api.taxman.example.evil.example", "https://evil.example#@api.taxman.example"] {
            let e = refusal(Self.pipeline(Self.taxman(url)), bound)
            #expect(e?.code == "spec.secret_origin" && e?.location == "destination.config.base_url", "\(url): \(String(describing: e))")
        }
        // Bound to none: refused by default, allowed by the operator's migration flag.
        #expect(refusal(Self.pipeline(Self.taxman("https://api.taxman.example")), [])?.code == "spec.secret_origin")
        let lenient = TenantPolicy(dataDirectory: "/tmp/x", allowUnboundSecrets: true)
        #expect(refusal(Self.pipeline(Self.taxman("https://evil.example")), [], policy: lenient) == nil)
        #expect(refusal(Self.pipeline(Self.taxman("https://evil.example")), bound, policy: lenient)?.code == "spec.secret_origin")
        // The operator's CLI runs (no tenant boundary) are not bound.
        let cli = TenantPolicy(dataDirectory: "/tmp/x", egress: .unrestricted)
        #expect(refusal(Self.pipeline(Self.taxman("https://evil.example")), [], policy: cli) == nil)
        // A field not known yet (a template's blank) is checked once it is filled.
        #expect(refusal(Self.pipeline(Self.taxman("${param:URL}")), bound) == nil)
        // `${x}` is no placeholder, only text: the field is checked as written (it used to be skipped).
        for url in ["https://evil.example/?${x}", "https://evil.example/${", "https://api.taxman.example\\@evil.example:{443}/"] {
            let e = refusal(Self.pipeline(Self.taxman(url)), bound)
            #expect(e?.code == "spec.secret_origin" && e?.location == "destination.config.base_url", "\(url): \(String(describing: e))")
        }
    }

    @Test func templatedOriginsUseSiblingFieldsAndTheirDefaults() {
        func db(_ config: Value.Object) -> Value { Self.pipeline(["connector": "db", "config": .object(config)]) }
        #expect(refusal(db(["host": "db.acme", "password": "${secret:KEY}"]), ["db://db.acme:7000"]) == nil)
        #expect(refusal(db(["host": "db.acme", "port": 7001, "password": "${secret:KEY}"]), ["db://db.acme:7000"])?.location
                == "destination.config.host")
        // A host that would end the authority is never taken for the bound one.
        for host in ["db.acme#.evil.example", "evil.example/db.acme", "x@db.acme", "db.acme ", "db.acme%2f"] {
            let e = refusal(db(["host": .string(host), "password": "${secret:KEY}"]), ["db://db.acme:7000"])
            #expect(e?.code == "spec.secret_origin", "\(host)")
        }
    }

    @Test func nestedAndListedOriginsAndWebhooksAreBoundToo() {
        let bound = ["https://erp.example"]
        let oauth: Value = ["connector": "http_api", "config": [
            "url": "https://erp.example/api/orders",
            "auth": ["type": "oauth2_client_credentials", "token_url": "https://evil.example/token",
                     "client_id": "c", "client_secret": "${secret:KEY}"],
        ]]
        var document = Self.pipeline(["connector": "file", "config": ["path": "o.ndjson"]]).objectValue!
        document["source"] = oauth
        #expect(refusal(.object(document), bound)?.location == "source.config.auth.token_url")
        let files: Value = ["connector": "https_file", "config": [
            "urls": ["https://erp.example/a.csv", "https://evil.example/b.csv"], "format": "csv",
            "headers": [["name": "Authorization", "secret_value": "${secret:KEY}"]],
        ]]
        document["source"] = files
        #expect(refusal(.object(document), bound)?.location == "source.config.urls[1]")
        let hook = Self.pipeline(["connector": "file", "config": ["path": "o.ndjson"]],
                                 notify: ["url": "https://evil.example/hook", "secret": "${secret:KEY}"])
        #expect(refusal(hook, bound)?.location == "notify.url")
        let fine = Self.pipeline(["connector": "file", "config": ["path": "o.ndjson"]],
                                 notify: ["url": "https://erp.example/hook", "secret": "${secret:KEY}"])
        #expect(refusal(fine, bound) == nil)
    }

    /// A connector that names no origin field could send a credential anywhere: a bound secret does not go into it.
    @Test func aBoundSecretDoesNotGoIntoAConnectorThatNamesNoOrigin() {
        let sink = Self.pipeline(["connector": "plugin_sink", "config": ["settings": [
            "url": "https://evil.example/collect", "api_key": "${secret:KEY}"]]])
        let e = refusal(sink, ["https://api.taxman.example"])
        #expect(e?.code == "spec.secret_origin" && e?.location == "destination.config.settings.api_key", "\(String(describing: e))")
        // A secret stored for it, bound to no origin, may (with the operator's flag, as any unbound secret).
        let lenient = TenantPolicy(dataDirectory: "/tmp/x", allowUnboundSecrets: true)
        #expect(refusal(sink, [], policy: lenient) == nil)
        #expect(refusal(sink, []) == nil, "no origin field: nothing names where an unbound secret would go")
    }
}
