import Foundation
import OnrampCore

extension DeployClient {
    /// Every item of a list, following `next_cursor` page by page (at most 1,000 pages).
    func all(_ path: String, _ key: String) async throws -> [Value] {
        var items: [Value] = []
        var cursor: String?
        for _ in 0..<1000 {
            let query = cursor.map { "?cursor=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
            let page = try await call(.GET, path + query)
            items += page?[key]?.arrayValue ?? []
            guard let next = page?["next_cursor"]?.stringValue else { break }
            cursor = next
        }
        return items
    }

    /// The tenant's state on the server: every non-archived pipeline's latest document (only `pipeline`'s when given),
    /// its connections, the templates stored on the server (not the binary's starters), the schedules by pipeline.
    public func state(pipeline only: String? = nil) async throws -> DeployState {
        var state = DeployState()
        let list = try await all(tenantPath + "/pipelines", "pipelines")
        var names: [String: String] = [:]
        for p in list {
            guard let id = p["id"]?.stringValue, let name = p["name"]?.stringValue else {
                throw OnrampError(
                    "deploy.answer", "a pipeline in the list has no id or name", at: "GET \(tenantPath)/pipelines")
            }
            names[id] = name
            pipelineIds[name] = id
            guard only == nil || only == name else { continue }
            let one = try await call(.GET, tenantPath + "/pipelines/" + Self.segment(id))
            guard let document = one?["document"] else {
                throw OnrampError(
                    "deploy.answer", "pipeline \(name) came without its document",
                    at: "GET \(tenantPath)/pipelines/\(id)")
            }
            state.pipelines[name] = document
        }
        if let only, state.pipelines[only] == nil {
            throw OnrampError(
                "deploy.pipeline", "tenant \(tenant) has no pipeline \(only) (or it is archived)", at: "--pipeline")
        }
        for s in try await all(tenantPath + "/schedules", "schedules") {
            guard let id = s["id"]?.stringValue,
                let pipeline = s["pipeline_id"].flatMap(\.stringValue).flatMap({ names[$0] }),
                let cron = s["cron"]?.stringValue
            else { continue }
            guard only == nil || only == pipeline else { continue }
            state.schedules[pipeline, default: []].append(
                ScheduleDefinition(
                    id: id, cron: cron, timezone: s["timezone"]?.stringValue ?? "UTC",
                    enabled: s["enabled"]?.boolValue ?? true))
        }
        guard only == nil else { return state }
        for c in try await all(tenantPath + "/connections", "connections") {
            guard let name = c["name"]?.stringValue, let connector = c["connector"]?.stringValue else { continue }
            state.connections[name] = ConnectionDefinition(
                name: name, connector: connector, config: c["config"] ?? .object([:]))
        }
        for t in try await call(.GET, "/templates")?["templates"]?.arrayValue ?? []
        where t["builtin"]?.boolValue != true {
            guard let name = t["name"]?.stringValue else { continue }
            let one = try await call(.GET, "/templates/" + Self.segment(name))
            guard let document = one?["document"] else { continue }
            state.templates[name] = TemplateDefinition(
                name: name, description: one?["description"]?.stringValue ?? "",
                document: document)
        }
        return state
    }

    /// A problem the server found in a push, with the directory's file it belongs to.
    public struct Problem: Sendable, Equatable {
        public var file: String
        public var code: String
        public var message: String
        public var field: String?
    }

    /// Checks every create and change of `plan` on the server at once (`POST …/deploy/validate`); nothing is applied.
    /// When the plan deletes connections, the directory's unchanged pipelines are checked too (they may use them).
    public func validate(_ plan: DeployPlan, directory: DeployState) async throws -> [Problem] {
        var connections: [Value] = []
        var pipelines: [Value] = []
        var templates: [Value] = []
        var schedules: [Value] = []
        var files: [String: [String?]] = [:]
        let removedConnections = plan.changes.compactMap {
            if case .deleteConnection(let n) = $0.change { n } else { nil }
        }
        if !removedConnections.isEmpty {
            let changed = Set(plan.changes.filter { $0.kind == .pipeline }.map(\.name))
            for name in directory.pipelines.keys.sorted() where !changed.contains(name) {
                pipelines.append(directory.pipelines[name]!)
                files["pipeline", default: []].append(directory.origins["pipeline \(name)"])
            }
        }
        for item in plan.changes {
            switch item.change {
            case .putConnection(let c):
                connections.append(["name": .string(c.name), "connector": .string(c.connector), "config": c.config])
                files["connection", default: []].append(item.file)
            case .putTemplate(let t):
                templates.append([
                    "name": .string(t.name), "description": .string(t.description), "document": t.document,
                ])
                files["template", default: []].append(item.file)
            case .savePipeline(let document):
                pipelines.append(document)
                files["pipeline", default: []].append(item.file)
            case .createSchedule(let pipeline, let s), .updateSchedule(let pipeline, _, let s):
                schedules.append([
                    "pipeline": .string(pipeline), "cron": .string(s.cron), "timezone": .string(s.timezone),
                    "enabled": .bool(s.enabled),
                ])
                files["schedule", default: []].append(item.file)
            default: continue
            }
        }
        var body: Value.Object = [:]
        for (key, list) in [
            ("connections", connections), ("pipelines", pipelines), ("templates", templates),
            ("schedules", schedules),
        ] where !list.isEmpty { body[key] = .array(list) }
        if !removedConnections.isEmpty { body["removed_connections"] = .array(removedConnections.map(Value.string)) }
        let answer = try await call(.POST, tenantPath + "/deploy/validate", body: .object(body))
        return (answer?["problems"]?.arrayValue ?? []).map { p in
            let kind = p["kind"]?.stringValue ?? ""
            let index = p["index"]?.numberValue.map { Int(exactly: $0) ?? -1 } ?? -1
            let file =
                files[kind].flatMap { index >= 0 && index < $0.count ? $0[index] : nil }
                ?? "\(kind) \(p["name"]?.stringValue ?? "")"
            return Problem(
                file: file, code: p["code"]?.stringValue ?? "invalid", message: p["message"]?.stringValue ?? "",
                field: p["field"]?.stringValue)
        }
    }

    /// Sends one change of a plan.
    public func apply(_ change: DeployPlan.Change) async throws {
        switch change {
        case .putConnection(let c):
            try await call(
                .PUT, tenantPath + "/connections/" + Self.segment(c.name),
                body: ["connector": .string(c.connector), "config": c.config])
        case .putTemplate(let t):
            try await call(
                .PUT, "/templates/" + Self.segment(t.name),
                body: ["description": .string(t.description), "document": t.document])
        case .savePipeline(let document):
            let saved = try await call(.POST, tenantPath + "/pipelines", body: document)
            if let name = saved?["name"]?.stringValue, let id = saved?["id"]?.stringValue { pipelineIds[name] = id }
        case .createSchedule(let pipeline, let s):
            try await call(
                .POST, tenantPath + "/pipelines/" + Self.segment(try id(of: pipeline)) + "/schedules",
                body: ["cron": .string(s.cron), "timezone": .string(s.timezone), "enabled": .bool(s.enabled)])
        case .updateSchedule(_, let id, let s):
            try await call(
                .PATCH, tenantPath + "/schedules/" + Self.segment(id),
                body: ["cron": .string(s.cron), "timezone": .string(s.timezone), "enabled": .bool(s.enabled)])
        case .deleteSchedule(_, let id):
            try await call(.DELETE, tenantPath + "/schedules/" + Self.segment(id))
        case .archivePipeline(let name):
            try await call(.DELETE, tenantPath + "/pipelines/" + Self.segment(try id(of: name)))
        case .deleteConnection(let name):
            try await call(.DELETE, tenantPath + "/connections/" + Self.segment(name))
        }
    }

    func id(of pipeline: String) throws -> String {
        guard let id = pipelineIds[pipeline] else {
            throw OnrampError("deploy.pipeline", "pipeline \(pipeline) is not on the server", at: "pipelines/")
        }
        return id
    }
}
