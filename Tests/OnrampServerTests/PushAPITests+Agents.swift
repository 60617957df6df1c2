import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OnrampAgent
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampScheduler
@testable import OnrampServer
import OnrampStore
import Testing

/// Edge agents over the API: enrolment, heartbeats (long polls), run requests and the pipeline given to them.
extension PushAPITests {
    /// A pipeline has at most 100 agents: the 101st is 409 `agent.limit`; deleting one makes room again.
    @Test func aPipelineHasAtMostAHundredAgents() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let (pid, _) = try await setUp(client, f)
            let path = "/api/v1/tenants/acme/pipelines/\(pid)/agents"
            var first: String?
            for i in 0..<OnrampAPI.maxAgentsPerPipeline {
                let made = try await call(client, .post, path, key: f.keys["acme-admin"], body: ["name": .string("a\(i)")])
                #expect(made.status == .created)
                if i == 0 { first = Self.j(made)["id"]?.stringValue }
            }
            let refused = try await call(client, .post, path, key: f.keys["acme-admin"], body: ["name": "one more"])
            #expect(refused.status == .conflict && Self.j(refused)["error"]?["code"] == "agent.limit")
            #expect(try await call(client, .delete, "\(path)/\(try #require(first))", key: f.keys["acme-admin"]).status == .noContent)
            #expect(try await call(client, .post, path, key: f.keys["acme-admin"], body: ["name": "one more"]).status == .created)
        }
    }

    @Test func anAgentEnrolsOnceSendsHeartbeatsAndTakesTheRunsAskedFor() async throws {
        let f = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let (pid, plainKey) = try await setUp(client, f)
            #expect(try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/agents", key: f.keys["acme-viewer"],
                                   body: ["name": "warehouse"]).status == .forbidden)
            let made = try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/agents", key: f.keys["acme-admin"],
                                      body: ["name": "warehouse"])
            #expect(made.status == .created)
            let agentId = try #require(Self.j(made)["id"]?.stringValue)
            let token = try #require(Self.j(made)["enrolment_token"]?.stringValue)
            #expect(Self.j(made)["enrolled"] == false)
            #expect(try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/agents/\(agentId)/run",
                                   key: f.keys["acme-admin"]).status == .conflict)  // not enrolled yet
            // The token works once; a guess or a second use is 401.
            #expect(try await call(client, .post, "/api/v1/agent/enrol", key: nil, body: ["token": "one_guess"]).status == .unauthorized)
            let enrolled = try await call(client, .post, "/api/v1/agent/enrol", key: nil, body: ["token": .string(token)])
            #expect(enrolled.status == .ok)
            let agentKey = try #require(Self.j(enrolled)["push_key"]?.stringValue)
            #expect(Self.j(enrolled)["agent_id"] == .string(agentId))
            #expect(try await call(client, .post, "/api/v1/agent/enrol", key: nil, body: ["token": .string(token)]).status == .unauthorized)
            // Heartbeats: the status is kept and shown; a run asked for comes back once.
            let beat = try await call(client, .post, "/api/v1/agent/heartbeat", key: agentKey,
                                      body: ["version": "0.15.0", "spool": ["segments": 3, "bytes": 120, "pushable": 3]])
            #expect(beat.status == .ok && Self.j(beat)["run_requested"] == false)
            #expect(try await call(client, .post, "/api/v1/agent/heartbeat", key: plainKey, body: [:]).status == .notFound)
            #expect(try await call(client, .post, "/api/v1/agent/heartbeat", key: f.keys["acme-admin"], body: [:]).status == .unauthorized)
            #expect(try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/agents/\(agentId)/run",
                                   key: f.keys["acme-admin"]).status == .accepted)
            // A run asked for is handed over until the agent says it took it up (an answer lost on the way loses nothing).
            for _ in 0..<2 {
                let asked = Self.j(try await call(client, .post, "/api/v1/agent/heartbeat", key: agentKey,
                                                  body: ["run_requests_seen": 0]))
                #expect(asked["run_requested"] == true && asked["run_requests"] == 1)
            }
            #expect(Self.j(try await call(client, .post, "/api/v1/agent/heartbeat", key: agentKey,
                                          body: ["spool": ["segments": 0], "run_requests_seen": 1]))["run_requested"] == false)
            #expect(try await call(client, .post, "/api/v1/agent/heartbeat?wait=56", key: agentKey, body: [:]).status
                    == .unprocessableContent)
            #expect(try await call(client, .post, "/api/v1/agent/heartbeat", key: agentKey, body: ["run_requests_seen": -1]).status
                    == .unprocessableContent)
            // A long poll waits for news, and comes back with a run asked for meanwhile.
            let waiting = Task {
                Self.j(try await call(client, .post, "/api/v1/agent/heartbeat?wait=20", key: agentKey, body: ["run_requests_seen": 1]))
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await call(client, .post, "/api/v1/tenants/acme/pipelines/\(pid)/agents/\(agentId)/run",
                                   key: f.keys["acme-admin"]).status == .accepted)
            let woken = try await waiting.value
            #expect(woken["run_requested"] == true && woken["run_requests"] == 2)
            #expect(Self.j(try await call(client, .post, "/api/v1/agent/heartbeat?wait=1", key: agentKey,
                                          body: ["spool": ["segments": 0], "run_requests_seen": 2]))["run_requested"] == false)
            let listed = try APITests.json(try await call(client, .get, "/api/v1/tenants/acme/pipelines/\(pid)/agents",
                                                          key: f.keys["acme-viewer"]))
            let shown = try #require(listed["agents"]?.arrayValue?.first)
            #expect(shown["enrolled"] == true && shown["last_seen_at"]?.stringValue != nil && shown["status"]?["spool"]?["segments"] == 0)
            #expect(!JSONWriter.string(listed).contains(agentKey) && !JSONWriter.string(listed).contains(token))
            #expect(try await call(client, .get, "/api/v1/tenants/globex/pipelines/\(pid)/agents", key: f.keys["globex-admin"]).status
                    == .notFound)
            // The platform gives the agent its pipeline: checked as the agent runs it, versioned, handed over once.
            let configPath = "/api/v1/tenants/acme/pipelines/\(pid)/agents/\(agentId)/config"
            let sitePipeline: Value = ["version": 1, "name": "site", "source": ["connector": "csv", "config": ["path": "exports/*.csv"]],
                                       "steps": [["set": ["site": "'${env:SITE_TAG}'"]]], "destination": ["connector": "onramp_push"]]
            #expect(try await call(client, .get, configPath, key: f.keys["acme-viewer"]).status == .notFound)
            #expect(try await call(client, .put, configPath, key: f.keys["acme-viewer"], body: ["pipeline": sitePipeline]).status
                    == .forbidden)
            func refused(_ body: Value) async throws -> String? {
                let r = try await call(client, .put, configPath, key: f.keys["acme-admin"], body: body)
                return r.status == .unprocessableContent ? Self.j(r)["error"]?["field"]?.stringValue : "status \(r.status)"
            }
            var withSecret = sitePipeline.objectValue!
            withSecret["source"] = ["connector": "csv", "config": ["path": "${secret:TAXMAN_KEY}"]]
            #expect(try await refused(["pipeline": .object(withSecret)]) == "pipeline.source.config.path")
            for path in ["../../etc/passwd", "/etc/passwd"] {  // an agent's files stay in its --files folder
                var escaping = sitePipeline.objectValue!
                escaping["source"] = ["connector": "csv", "config": ["path": .string(path)]]
                #expect(try await refused(["pipeline": .object(escaping)]) == "pipeline.source.config.path")
            }
            // Whatever it makes goes to the spool: no route to another destination, no files or webhooks of its own.
            var routed = sitePipeline.objectValue!
            routed["steps"] = [["route": ["when": "true", "destination": ["connector": "csv", "config": ["path": "x.csv"]]]]]
            let routeField = try await refused(["pipeline": .object(routed)])
            #expect(routeField == "pipeline.steps[0].route.destination.connector", "\(routeField ?? "")")
            var withResults = sitePipeline.objectValue!
            withResults["results"] = ["path": "out.ndjson"]
            #expect(try await refused(["pipeline": .object(withResults)]) == "pipeline.results.path")
            var withNotify = sitePipeline.objectValue!
            withNotify["notify"] = ["url": "https://hooks.example/x", "secret": "s"]
            #expect(try await refused(["pipeline": .object(withNotify)]) == "pipeline.notify")
            var withBlank = sitePipeline.objectValue!
            withBlank["source"] = ["connector": "csv", "config": ["path": "${param:FILE}"]]
            #expect(try await refused(["pipeline": .object(withBlank)]) == "pipeline.source.config.path")
            var elsewhere = sitePipeline.objectValue!
            elsewhere["destination"] = ["connector": "onramp_push", "config": ["server": "https://evil.example"]]
            #expect(try await refused(["pipeline": .object(elsewhere)]) == "pipeline.destination.config")
            var toFile = sitePipeline.objectValue!
            toFile["destination"] = ["connector": "csv", "config": ["path": "out.csv"]]
            #expect(try await refused(["pipeline": .object(toFile)]) == "pipeline.destination.connector")
            var unknown = sitePipeline.objectValue!
            unknown["source"] = ["connector": "nope", "config": [:]]
            #expect(try await refused(["pipeline": .object(unknown)])?.hasPrefix("pipeline.source") == true)
            #expect(try await refused(["pipeline": sitePipeline, "every_seconds": 0]) == "every_seconds")
            #expect(try await refused(["pipeline": sitePipeline, "schedule": "hourly"]) == "schedule")
            let given = try await call(client, .put, configPath, key: f.keys["acme-admin"], body: ["pipeline": sitePipeline, "every_seconds": 60])
            #expect(given.status == .ok && Self.j(given)["version"] == 1 && Self.j(given)["every_seconds"] == 60, "\(Self.j(given))")
            #expect(Self.j(try await call(client, .get, configPath, key: f.keys["acme-viewer"]))["pipeline"] == sitePipeline)
            let handed = Self.j(try await call(client, .post, "/api/v1/agent/heartbeat?wait=5", key: agentKey,
                                               body: ["run_requests_seen": 2, "config_version": 0]))
            #expect(handed["config_version"] == 1 && handed["config"]?["pipeline"] == sitePipeline && handed["config"]?["every_seconds"] == 60)
            let taken = Self.j(try await call(client, .post, "/api/v1/agent/heartbeat", key: agentKey,
                                              body: ["run_requests_seen": 2, "config_version": 1]))
            #expect(taken["config_version"] == 1 && taken["config"] == nil)
            // The agent's key pushes like any push key; removing the agent revokes it.
            #expect(try await push(client, "a1", Array("{\"id\":\"ORD-1\",\"amount\":\"1\"}\n".utf8), key: agentKey).status == .created)
            #expect(try await call(client, .delete, "/api/v1/tenants/acme/pipelines/\(pid)/agents/\(agentId)", key: f.keys["acme-admin"])
                .status == .noContent)
            #expect(try await push(client, "a2", Array("{}\n".utf8), key: agentKey).status == .unauthorized)
        }
    }
}
