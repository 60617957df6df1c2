import Foundation
import Hummingbird
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampStore

/// Edge agents: a tenant's admin makes one for a push pipeline and gets a one-time enrolment token; the agent
/// exchanges it (`POST /api/v1/agent/enrol`, outbound from the customer's machine) for a push key of its own, then
/// sends heartbeats with its status (`POST /api/v1/agent/heartbeat`) and receives the runs asked for from here.
extension OnrampAPI {
    static let enrolmentPrefix = "one_"
    /// How long an enrolment token can be used.
    static let enrolmentSeconds: TimeInterval = 24 * 3600
    /// The most agents one pipeline has (enrolled or not): each holds a push key and a row heartbeats update.
    static let maxAgentsPerPipeline = 100

    func addAgentRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.post("/tenants/:tenant/pipelines/:pipeline/agents") { request, context in
            let tenant = try context.tenant(allowing: Self.pushKeyManagers)
            let p = try await activePipeline(context, tenant: tenant)
            try Self.requirePushSource(p)
            let body = try await request.jsonBody()
            guard let name = body["name"]?.stringValue, (1...200).contains(name.count) else {
                throw APIError(.unprocessableContent, "invalid", "must be a string of 1 to 200 characters", field: "name")
            }
            guard try await store.agents(pipelineId: p.pipelineId).count < Self.maxAgentsPerPipeline else {
                throw APIError(.conflict, "agent.limit",
                               "pipeline \(p.name) has \(Self.maxAgentsPerPipeline) agents, the most it may have: delete one first")
            }
            let token = Self.enrolmentPrefix + AuthMiddleware.newSecret().dropFirst(4)
            let now = Date()
            let agent = AgentRecord(id: UUID().uuidString.lowercased(), tenantId: tenant, pipelineId: p.pipelineId, name: name,
                                    enrolmentHash: AuthMiddleware.hash(token),
                                    enrolmentExpiresAt: now.addingTimeInterval(Self.enrolmentSeconds), createdAt: now)
            try await store.createAgent(agent)
            guard case .object(var out) = Self.agentValue(agent) else { return Response(status: .internalServerError) }
            out["enrolment_token"] = .string(token)  // shown once; only its hash is stored
            return JSONResponse.created(.object(out), at: "/api/v1/tenants/\(tenant)/pipelines/\(p.pipelineId)/agents/\(agent.id)")
        }
        api.get("/tenants/:tenant/pipelines/:pipeline/agents") { request, context in
            let tenant = try context.tenant()
            let p = try await pipeline(context, tenant: tenant)
            let page = try ListPage(request).slice(try await store.agents(pipelineId: p.pipelineId)) {
                ListPage.createdKey($0.createdAt, $0.id)
            }
            return JSONResponse.make(["agents": .array(page.items.map(Self.agentValue)), "next_cursor": page.next])
        }
        api.post("/tenants/:tenant/pipelines/:pipeline/agents/:agent/run") { _, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .engineer, .tenantAdmin])
            let agent = try await pipelineAgent(context, tenant: tenant)
            guard agent.keyId != nil else {
                throw APIError(.conflict, "conflict", "agent \(agent.name) has not enrolled yet")
            }
            _ = try await store.requestAgentRun(id: agent.id)
            var asked = agent
            asked.runRequests += 1
            return JSONResponse.make(Self.agentValue(asked), status: .accepted)
        }
        api.put("/tenants/:tenant/pipelines/:pipeline/agents/:agent/config") { request, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .engineer, .tenantAdmin])
            let agent = try await pipelineAgent(context, tenant: tenant)
            let config = try await agentConfig(try await request.jsonBody(limit: 256 << 10))
            guard let version = try await store.setAgentConfig(id: agent.id, config: config) else {
                throw APIError.notFound("agent \(agent.id)")
            }
            return JSONResponse.make(Self.agentConfigValue(version: version, config: config))
        }
        api.get("/tenants/:tenant/pipelines/:pipeline/agents/:agent/config") { _, context in
            let tenant = try context.tenant()
            let agent = try await pipelineAgent(context, tenant: tenant)
            guard let config = agent.config else { throw APIError.notFound("config of agent \(agent.name) (none given yet)") }
            return JSONResponse.make(Self.agentConfigValue(version: agent.configVersion, config: config))
        }
        api.delete("/tenants/:tenant/pipelines/:pipeline/agents/:agent") { _, context in
            let tenant = try context.tenant(allowing: Self.pushKeyManagers)
            let agent = try await pipelineAgent(context, tenant: tenant)
            // The key the row held when it went (an enrolment may have finished since it was read): revoked, so a
            // deleted agent pushes nothing more.
            if let keyId = try await store.deleteAgent(id: agent.id)?.keyId {
                _ = try await store.revokePushKey(id: keyId, pipelineId: agent.pipelineId, at: Date())
            }
            return Response(status: .noContent)
        }
    }

    func addAgentLinkRoutes(_ router: Router<OnrampRequestContext>, throttle: PushThrottle) {
        // Heartbeats waiting for news at once: past these, a heartbeat is answered without waiting.
        let agentWaits = PreviewGate(total: 5000, perTenant: 500)
        // and per agent (an agent waits with one; a second, or one its restart left behind, is answered at once).
        let agentWaitsEach = PreviewGate(total: 5000, perTenant: 2)
        router.post("/api/v1/agent/enrol") { request, _ in
            let body = try await request.jsonBody(limit: 16 << 10)
            guard let token = body["token"]?.stringValue, token.hasPrefix(Self.enrolmentPrefix), token.utf8.count <= 200,
                  let agent = try await store.agent(enrolmentHash: AuthMiddleware.hash(token)),
                  let expires = agent.enrolmentExpiresAt, expires > Date() else {
                throw APIError(.unauthorized, "unauthorized", "unknown, used or expired enrolment token: ask for a new one")
            }
            // A pipeline archived, or no longer reading pushed batches, since the agent was made enrols none.
            _ = try await pushPipeline(tenantId: agent.tenantId, pipelineId: agent.pipelineId)
            let secret = Self.pushKeyPrefix + AuthMiddleware.newSecret().dropFirst(4)
            let key = PushKeyRecord(id: UUID().uuidString.lowercased(), tenantId: agent.tenantId, pipelineId: agent.pipelineId,
                                    name: "agent \(agent.name)", secretHash: AuthMiddleware.hash(secret), createdAt: Date())
            try await store.createPushKey(key)
            guard try await store.enrolAgent(id: agent.id, enrolmentHash: AuthMiddleware.hash(token), keyId: key.id) else {
                // Another request used the token first, or the agent was deleted meanwhile: this key never works.
                _ = try await store.revokePushKey(id: key.id, pipelineId: agent.pipelineId, at: Date())
                throw APIError(.unauthorized, "unauthorized", "unknown, used or expired enrolment token: ask for a new one")
            }
            return JSONResponse.make(["agent_id": .string(agent.id), "pipeline_id": .string(agent.pipelineId),
                                      "push_key": .string(secret)])
        }
        router.post("/api/v1/agent/heartbeat") { request, _ in
            let key = try await pushKey(request)
            try await Self.takePushToken(throttle, key, rate: pushLimits.rate)  // heartbeats count with pushes
            guard let agent = try await store.agent(keyId: key.id) else {
                throw APIError.notFound("agent for this push key (it is a push key of its own, not an enrolled agent's)")
            }
            let status = try await request.jsonBody(limit: 64 << 10)
            guard case .object = status else {
                throw APIError(.unprocessableContent, "invalid", "a heartbeat is a JSON object", field: "body")
            }
            for field in ["run_requests_seen", "config_version"] {
                guard let v = status[field] else { continue }
                guard v.countValue != nil else {
                    throw APIError(.unprocessableContent, "invalid", "must be a whole number of 0 or more", field: field)
                }
            }
            let wait = try QueryValues(request, allowed: ["wait"]).integer("wait", default: 0, in: 0...Self.agentLongestWait)
            guard var now = try await store.agentHeartbeat(id: agent.id, status: status, at: Date()) else {
                throw APIError.notFound("agent for this push key")
            }
            if wait > 0, !Self.hasNews(now), await agentWaits.enter(key.tenantId) {
                let tenantPlace = GatePlace(agentWaits, key.tenantId)
                if await agentWaitsEach.enter(agent.id) {
                    // A long poll: the answer waits for news for this agent (made on any server), or the deadline; it
                    // watches two counters, and reads the whole agent once they moved.
                    let place = GatePlace(agentWaitsEach, agent.id)
                    let deadline = ContinuousClock.now + .seconds(wait)
                    while ContinuousClock.now < deadline, !Task.isShuttingDownGracefully, !Task.isCancelled {
                        try? await Task.sleep(for: min(Self.agentPoll, deadline - ContinuousClock.now))
                        guard let counters = try await store.agentCounters(id: agent.id) else { break }
                        if counters.runRequests != now.runRequests || counters.configVersion != now.configVersion {
                            now = try await store.agent(id: agent.id) ?? now
                            break
                        }
                    }
                    withExtendedLifetime(place) {}
                }
                withExtendedLifetime(tenantPlace) {}
            }
            var answer: Value.Object = ["run_requested": .bool(now.runRequested), "run_requests": .number(Double(now.runRequests)),
                                        "config_version": .number(Double(now.configVersion))]
            if now.configVersion != now.configVersionSeen, let config = now.config { answer["config"] = config }
            return JSONResponse.make(.object(answer))
        }
    }

    /// The longest a heartbeat may wait for news, seconds; how often a waiting one looks at its agent.
    static let agentLongestWait = 55
    static let agentPoll: Duration = .seconds(1)

    /// Whether the platform has something for the agent it has not taken up: a run, a config.
    static func hasNews(_ a: AgentRecord) -> Bool { a.runRequests != a.runRequestsSeen || (a.config != nil && a.configVersion != a.configVersionSeen) }

    /// A config for an agent (`{"pipeline": …, "every_seconds": …}`), checked as the agent will run it: the pipeline
    /// validates, writes to `onramp_push` with no settings (the agent pushes to the server it enrolled with), and
    /// names no tenant secret or connection (the agent has neither; it has the variables its operator exposes).
    func agentConfig(_ body: Value) async throws -> Value {
        guard case .object(let fields) = body, let pipeline = fields["pipeline"], case .object = pipeline else {
            throw APIError(.unprocessableContent, "invalid", "must be a pipeline document (an object)", field: "pipeline")
        }
        if let extra = fields.keys.first(where: { !["pipeline", "every_seconds"].contains($0) }) {
            throw APIError(.unprocessableContent, "invalid", "is not a field of an agent's config", field: extra)
        }
        let every = fields["every_seconds"] ?? 300
        guard let seconds = every.numberValue, (1...86_400).contains(seconds) else {
            throw APIError(.unprocessableContent, "invalid", "must be a number of seconds from 1 to 86400", field: "every_seconds")
        }
        if let ref = Placeholders.locatedReferences(in: pipeline).first(where: { $0.kind == "secret" }) {
            throw APIError(.unprocessableContent, "invalid", "an agent has no access to the tenant's secrets (${secret:\(ref.name)}):"
                           + " name a variable of the agent's machine, ${env:NAME}, exposed with --expose-env",
                           field: "pipeline" + (ref.path.isEmpty ? "" : ".\(ref.path)"))
        }
        if let ref = Placeholders.locatedReferences(in: pipeline).first(where: { $0.kind == "param" }) {
            throw APIError(.unprocessableContent, "invalid", "a pipeline given to an agent has no ${param:…} blanks left",
                           field: "pipeline" + (ref.path.isEmpty ? "" : ".\(ref.path)"))
        }
        for side in ["source", "destination"] where pipeline[side]?["connection"] != nil {
            throw APIError(.unprocessableContent, "invalid", "an agent has no access to the tenant's connections: give the "
                           + "connector and its config", field: "pipeline.\(side).connection")
        }
        // `${env:NAME}` names a variable of the agent's machine, not of this server: checked there (--expose-env).
        var machine: [String: String] = [:]
        for ref in Placeholders.references(in: pipeline) where ref.kind == "env" { machine[ref.name] = "placeholder" }
        do {
            let checked = try Placeholders.substitute(pipeline, values: ["env": machine])
            try AgentPipelineRules.check(try PipelineSpecValidation.spec(checked))
            try await validate(checked)
        } catch let e as OnrampError {
            // The documented code when there is one (connector.unknown, file.path…), else `invalid`.
            let code = APIErrorCode(rawValue: e.code) == nil ? "invalid" : e.code
            throw APIError(.unprocessableContent, code, e.message, field: "pipeline" + (e.location.map { ".\($0)" } ?? ""))
        }
        return ["pipeline": pipeline, "every_seconds": .number(seconds)]
    }

    static func agentConfigValue(version: Int, config: Value) -> Value {
        ["version": .number(Double(version)), "pipeline": config["pipeline"] ?? .null,
         "every_seconds": config["every_seconds"] ?? .null]
    }

    /// The agent in the path, of the pipeline in the path, of the tenant (404 otherwise).
    func pipelineAgent(_ context: OnrampRequestContext, tenant: String) async throws -> AgentRecord {
        let p = try await pipeline(context, tenant: tenant)
        let id = try context.parameters.require("agent")
        guard let agent = try await store.agent(id: id), agent.pipelineId == p.pipelineId, agent.tenantId == tenant else {
            throw APIError.notFound("agent \(id)")
        }
        return agent
    }

    static func agentValue(_ a: AgentRecord) -> Value {
        ["id": .string(a.id), "name": .string(a.name), "pipeline_id": .string(a.pipelineId), "enrolled": .bool(a.keyId != nil),
         "enrolment_expires_at": a.enrolmentExpiresAt.map { .string(ISOTime.string($0)) } ?? .null,
         "created_at": .string(ISOTime.string(a.createdAt)),
         "last_seen_at": a.lastSeenAt.map { .string(ISOTime.string($0)) } ?? .null,
         "status": a.status ?? .null, "run_requested": .bool(a.runRequested), "run_requests": .number(Double(a.runRequests)),
         "config_version": .number(Double(a.configVersion)), "config_version_seen": .number(Double(a.configVersionSeen))]
    }
}
