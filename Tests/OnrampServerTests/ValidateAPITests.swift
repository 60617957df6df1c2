import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OnrampCore
@testable import OnrampServer
import Testing

/// `POST /validate` answers every problem at once, as `onramp lint` does, placed in a YAML body by line and column,
/// with `error` still the first error a save would meet.
@Suite struct ValidateAPITests {
    @Test func validateListsEveryProblemWithItsLine() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let yaml = """
            version: 1
            name: x
            sourse: {connector: csv}
            destination:
              connector: file
              config: {path: out.ndjson, fromat: csv}
            steps:
              - map: '{"a": }'
            """
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let r = try await APIBehaviourTests().call(client, .post, "/api/v1/validate", key: f.keys["acme-viewer"], yaml: yaml)
            #expect(r.status == .ok)
            let body = try APITests.json(r)
            #expect(body["valid"] == false && body["error"]?["code"] != nil)
            let problems = try #require(body["problems"]?.arrayValue)
            func find(_ code: String) -> Value? { problems.first { $0["code"]?.stringValue == code } }
            #expect(find("spec.unknown_key")?["line"] == .number(3) && find("spec.unknown_key")?["hint"] == "did you mean source?")
            #expect(find("spec.missing")?["field"] == "source")
            #expect(find("config.unknown_key")?["field"] == "destination.config.fromat")
            #expect(find("config.unknown_key")?["hint"] == "did you mean format?")
            #expect(problems.contains { $0["code"]?.stringValue?.hasPrefix("expr.") == true && $0["line"] == .number(8) })
            let good = try await APIBehaviourTests().call(client, .post, "/api/v1/validate", key: f.keys["acme-viewer"],
                                                          body: APITests.pipeline(f.dir))
            let ok = try APITests.json(good)
            #expect(ok["valid"] == true && ok["problems"] == .array([]) && ok["error"] == .null)
        }
    }
}
