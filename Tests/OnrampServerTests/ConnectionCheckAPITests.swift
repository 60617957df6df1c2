import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OnrampCore
@testable import OnrampServer
import Testing

/// `POST …/connections/{name}/check` and `…/discover`: what a connection reaches, answered to the
/// people who may change it, inside the tenant's file area.
@Suite struct ConnectionCheckAPITests {
    let api = APITests()

    @Test func checkAndDiscoverASavedConnection() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let admin = f.keys["acme-admin"]
            for (name, path) in [("exports", "in/*.csv"), ("later", "nothing-yet/*.csv")] {
                let saved = try await api.call(client, .put, "/api/v1/tenants/acme/connections/\(name)", key: admin,
                                               body: ["connector": "csv", "config": ["path": .string(path)]])
                #expect(saved.status == .ok)
            }
            #expect(try await api.call(client, .put, "/api/v1/tenants/acme/connections/out", key: admin,
                                       body: ["connector": "file", "config": ["path": "out.ndjson"]]).status == .ok)

            let ok = try APITests.json(try await api.call(client, .post, "/api/v1/tenants/acme/connections/exports/check", key: admin))
            #expect(ok == ["ok": true, "message": "1 file match 'in/*.csv'"])
            let failed = try APITests.json(try await api.call(client, .post, "/api/v1/tenants/acme/connections/later/check", key: admin))
            #expect(failed["ok"] == false && failed["code"] == "source.not_found" && failed["field"] == "source.config.path")

            let discovered = try APITests.json(try await api.call(client, .post, "/api/v1/tenants/acme/connections/exports/discover", key: admin))
            let stream = try #require(discovered["streams"]?.arrayValue?.first)
            #expect(stream["kind"] == "file" && stream["fields"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["id", "amount"])
            let destination = try await api.call(client, .post, "/api/v1/tenants/acme/connections/out/discover", key: admin)
            #expect(destination.status == .unprocessableContent)
            #expect(try APITests.json(destination)["error"]?["code"] == "connector.discover")

            // Who may: not a viewer (a check reaches out), not another tenant (404: nothing is revealed); an unknown connection is 404.
            #expect(try await api.call(client, .post, "/api/v1/tenants/acme/connections/exports/check", key: f.keys["acme-viewer"]).status == .forbidden)
            #expect(try await api.call(client, .post, "/api/v1/tenants/acme/connections/exports/check", key: f.keys["globex-admin"]).status == .notFound)
            #expect(try await api.call(client, .post, "/api/v1/tenants/globex/connections/exports/check", key: f.keys["globex-admin"]).status == .notFound)
            #expect(try await api.call(client, .post, "/api/v1/tenants/acme/connections/exports/check", key: f.keys["engineer"]).status == .ok)
        }
    }

    /// A form that is not saved is checked, and a pipeline previewed, with the secrets typed in it: bound to their
    /// origins like stored ones, never stored, never in an answer.
    @Test func typedSecretsServeOneRequestAndAreNeverStored() async throws {
        let f = try await APITests.fixture(http: true)
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let admin = f.keys["acme-admin"]
            let value = "typed-secret-value-1234"
            let config: Value = ["base_url": "http://127.0.0.1:9", "api_key": "${secret:TYPED}"]
            func typed(_ origins: [String]) -> Value { ["TYPED": ["value": .string(value), "origins": .array(origins.map(Value.string))]] }
            let checked = try await api.call(client, .post, "/api/v1/tenants/acme/check", key: admin,
                                             body: ["connector": "taxman", "config": config, "secrets": typed(["http://127.0.0.1:9"])])
            let answer = try APITests.json(checked)
            #expect(checked.status == .ok && answer["ok"] == false && answer["code"]?.stringValue?.hasPrefix("spec.") == false,
                    "the secret resolved; the check then failed to reach the port: \(answer)")
            #expect(!String(buffer: checked.body).contains(value))
            // Without it, or bound elsewhere: refused as a stored one would be.
            let missing = try await api.call(client, .post, "/api/v1/tenants/acme/check", key: admin,
                                             body: ["connector": "taxman", "config": config])
            let missingError = try APITests.json(missing)["error"]
            #expect(missing.status == .unprocessableContent && missingError?["code"] == "spec.secret")
            let elsewhere = try await api.call(client, .post, "/api/v1/tenants/acme/check", key: admin,
                                               body: ["connector": "taxman", "config": config, "secrets": typed(["https://evil.example"])])
            #expect(try APITests.json(elsewhere)["error"]?["code"] == "spec.secret_origin")
            let bad = try await api.call(client, .post, "/api/v1/tenants/acme/discover", key: admin,
                                         body: ["connector": "csv", "config": ["path": "in/*.csv"], "secrets": ["TYPED": "plain"]])
            let badError = try APITests.json(bad)["error"]
            #expect(bad.status == .unprocessableContent && badError?["field"] == "secrets.TYPED.value")
            let discovered = try APITests.json(try await api.call(client, .post, "/api/v1/tenants/acme/discover", key: admin,
                                                                  body: ["connector": "csv", "config": ["path": "in/*.csv"]]))
            #expect(discovered["streams"]?.arrayValue?.count == 1)
            #expect(try await api.call(client, .post, "/api/v1/tenants/acme/check", key: f.keys["acme-viewer"],
                                       body: ["connector": "csv", "config": ["path": "in/*.csv"]]).status == .forbidden)

            var document = APITests.pipeline(f.dir).objectValue!
            document["destination"] = ["connector": "taxman", "config": config]
            let preview = try await api.call(client, .post, "/api/v1/tenants/acme/preview", key: admin,
                                             body: ["document": .object(document), "secrets": typed(["http://127.0.0.1:9"])])
            #expect(preview.status == .ok, "\(String(buffer: preview.body))")
            #expect(!String(buffer: preview.body).contains(value))
            let stored = try APITests.json(try await api.call(client, .get, "/api/v1/tenants/acme/secrets", key: admin))
            #expect(stored["secrets"]?.arrayValue?.isEmpty == true, "nothing typed was stored: \(stored)")
        }
    }
}
