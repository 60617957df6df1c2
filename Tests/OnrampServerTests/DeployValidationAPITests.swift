import Foundation
import Hummingbird
import HummingbirdTesting
import OnrampCore
import Testing

@testable import OnrampServer

/// `POST /tenants/{t}/deploy/validate`: a whole push checked at once, against the connections it leaves behind.
@Suite struct DeployValidationAPITests {
    static let viaConnection: Value = [
        "version": 1, "name": "via", "source": ["connection": "erp"],
        "destination": ["connector": "file", "config": ["path": "out.ndjson"]],
    ]

    /// Each item costs a route's validation: a push with more than 1,000 of a kind is refused before any is checked.
    @Test func aPushOfMoreThanAThousandItemsOfAKindIsRefused() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let body: Value = ["pipelines": .array(Array(repeating: APITests.pipeline(f.dir), count: 1001))]
            let answer = try await APITests().call(client, .post, "/api/v1/tenants/acme/deploy/validate",
                                                   key: f.keys["engineer"], body: body)
            #expect(answer.status == .unprocessableContent)
            let error = try APITests.json(answer)["error"]
            #expect(error?["code"] == "too_many" && error?["field"] == "pipelines")
        }
    }

    @Test func everyProblemOfAPushIsReportedWithItsIndexAndFieldAndNothingIsSaved() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            let t = APITests()
            var bad = APITests.pipeline(f.dir).objectValue!
            bad["name"] = "bad"
            bad["source"] = ["connector": "csv", "config": ["path": "../outside.csv"]]
            let body: Value = [
                "connections": [
                    ["name": "erp", "connector": "csv", "config": ["path": "in/a.csv"]],
                    ["name": "Bad_Name", "connector": "csv", "config": [:]],
                ],
                "pipelines": [Self.viaConnection, .object(bad)],
                "schedules": [["pipeline": "via", "cron": "61 * * * *", "timezone": "UTC", "enabled": true]],
                "templates": [["name": "t", "description": "", "document": ["version": 2]]],
            ]
            let answer = try await t.call(
                client, .post, "/api/v1/tenants/acme/deploy/validate", key: f.keys["engineer"], body: body)
            #expect(answer.status == .ok)
            let json = try APITests.json(answer)
            #expect(json["valid"] == false)
            let problems = json["problems"]?.arrayValue ?? []
            // The pipeline over the pending connection `erp` passes; each other item is named with its field.
            #expect(
                problems.map {
                    "\($0["kind"]!.stringValue!)#\(Int($0["index"]!.numberValue!)) \($0["field"]?.stringValue ?? "-")"
                }
                    == [
                        "connection#1 name", "pipeline#1 source.config.path", "template#0 document.version",
                        "schedule#0 cron",
                    ])
            #expect(await f.store.pipelines(tenantId: "acme").isEmpty)
            #expect(await f.store.connections(tenantId: "acme").isEmpty)

            // Without the pending connection the same pipeline fails; a removed one is gone for the check.
            let alone = try APITests.json(
                try await t.call(
                    client, .post, "/api/v1/tenants/acme/deploy/validate",
                    key: f.keys["engineer"], body: ["pipelines": [Self.viaConnection]]))
            #expect(alone["valid"] == false)
            let good = try APITests.json(
                try await t.call(
                    client, .post, "/api/v1/tenants/acme/deploy/validate", key: f.keys["engineer"],
                    body: [
                        "connections": .array(Array(body["connections"]!.arrayValue!.prefix(1))),
                        "pipelines": [Self.viaConnection],
                    ]))
            #expect(good == ["valid": true, "problems": []])
        }
    }

    @Test func rolesAreThoseOfTheRoutesAPushWouldCall() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let app = Application(router: Conformance(f.api.buildRouter()))
        try await app.test(.router) { client in
            let t = APITests()
            func status(_ key: String, _ body: Value) async throws -> Int {
                Int(
                    try await t.call(
                        client, .post, "/api/v1/tenants/acme/deploy/validate", key: f.keys[key], body: body
                    ).status.code)
            }
            let schedules: Value = ["schedules": [["pipeline": "p", "cron": "0 6 * * *"]]]
            let statuses = [
                try await status("acme-viewer", schedules), try await status("acme-admin", schedules),
                try await status("acme-admin", ["pipelines": [Self.viaConnection]]),
                try await status("globex-admin", schedules), try await status("engineer", ["pipeline": []]),
            ]
            #expect(statuses == [403, 200, 403, 404, 422])
            // A check is not a change: nothing in the audit log.
            #expect(await f.store.auditEntries(tenantId: "acme", limit: 10, before: nil).isEmpty)
        }
    }
}
