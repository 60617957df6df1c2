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
}
