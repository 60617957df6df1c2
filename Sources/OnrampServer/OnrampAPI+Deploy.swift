import Foundation
import Hummingbird
import OnrampCore
import OnrampStore

extension OnrampAPI {
    /// A validation error's location as a path in the document (the loader names the document `pipeline: `).
    static func fieldInDocument(_ location: String?) -> String? {
        location.map { $0.hasPrefix("pipeline: ") ? String($0.dropFirst("pipeline: ".count)) : $0 }
    }

    /// `POST /tenants/{t}/deploy/validate`: checks a whole push (`onramp push`) before any of it is applied, each
    /// part as its own route would check it, pipelines against the connections the push leaves behind. Changes
    /// nothing; answers `{valid, problems: [{kind, index, name, code, message, field}]}`. Pipelines and templates
    /// need an engineer's role, connections and schedules a tenant admin's (403 otherwise).
    static let maxDeployItems = 1000

    func addDeployRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.post("/tenants/:tenant/deploy/validate") { request, context in
            let body = try await request.jsonBody(limit: 64 << 20)
            guard case .object(let root) = body else {
                throw APIError(.unprocessableContent, "invalid", "the body must be an object")
            }
            let kinds = ["connections", "removed_connections", "pipelines", "templates", "schedules"]
            for key in root.keys where !kinds.contains(key) {
                throw APIError(
                    .unprocessableContent, "unknown_key", "unknown key; expected \(kinds.joined(separator: ", "))",
                    field: key)
            }
            func list(_ key: String) throws -> [Value] {
                guard let v = root[key] else { return [] }
                guard case .array(let items) = v else {
                    throw APIError(.unprocessableContent, "invalid", "must be a list", field: key)
                }
                // Each item is validated as its own route would: a bound on them bounds the request's work.
                guard items.count <= Self.maxDeployItems else {
                    throw APIError(.unprocessableContent, "too_many", "at most \(Self.maxDeployItems) items of a kind in one "
                                   + "push", field: key)
                }
                return items
            }
            let connections = try list("connections")
            let removed = try list("removed_connections")
            let pipelines = try list("pipelines")
            let templates = try list("templates")
            let schedules = try list("schedules")
            let editors: Set<Role> = [.platformAdmin, .engineer]
            let tenant = try context.tenant(
                allowing: pipelines.isEmpty && templates.isEmpty ? editors.union([.tenantAdmin]) : editors)
            guard try await store.tenant(id: tenant) != nil else { throw APIError.notFound("tenant \(tenant)") }
            var problems: [Value] = []
            func problem(
                _ kind: String, _ index: Int, _ name: String?, _ code: String, _ message: String, _ field: String?
            ) {
                problems.append([
                    "kind": .string(kind), "index": .number(Double(index)), "name": name.map(Value.string) ?? .null,
                    "code": .string(code), "message": .string(message), "field": field.map(Value.string) ?? .null,
                ])
            }
            var map = try await store.connectionMap(tenantId: tenant)
            for (i, name) in removed.enumerated() {
                guard case .string(let name) = name else {
                    throw APIError(.unprocessableContent, "invalid", "must be a connection's name", field: "removed_connections[\(i)]")
                }
                map[name] = nil
            }
            let secrets = try await secretOrigins(tenant)
            for (i, c) in connections.enumerated() {
                let name = c["name"]?.stringValue
                guard let name, name.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
                    problem(
                        "connection", i, name, "invalid", "a connection name is lower-case letters, digits and '-'",
                        "name")
                    continue
                }
                guard case .string(let connector)? = c["connector"] else {
                    problem("connection", i, name, "missing", "required key is missing", "connector")
                    continue
                }
                let config = c["config"] ?? .object([:])
                do {
                    try checkConnection(tenant: tenant, connector: connector, config: config, secrets: secrets)
                    map[name] = (connector, config)
                } catch let e as APIError {
                    problem("connection", i, name, e.code, e.message, e.field)
                }
            }
            for (i, document) in pipelines.enumerated() {
                do { try await validate(document, tenant: tenant, connections: map) } catch let e as OnrampError {
                    problem(
                        "pipeline", i, document["name"]?.stringValue, e.code, e.message,
                        Self.fieldInDocument(e.location))
                }
            }
            for (i, t) in templates.enumerated() {
                let name = t["name"]?.stringValue
                guard let name, name.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
                    problem(
                        "template", i, name, "invalid", "a template name is lower-case letters, digits and '-'", "name")
                    continue
                }
                guard let document = t["document"] else {
                    problem("template", i, name, "missing", "required key is missing", "document")
                    continue
                }
                do { try await validate(document) } catch let e as OnrampError {
                    problem(
                        "template", i, name, e.code, e.message,
                        Self.fieldInDocument(e.location).map { "document.\($0)" })
                }
            }
            for (i, s) in schedules.enumerated() {
                var record = ScheduleRecord(
                    id: "", tenantId: tenant, pipelineId: "", cron: "", timezone: "UTC", enabled: true,
                    createdAt: Date())
                var fields = s.objectValue ?? [:]
                let pipeline = fields.removeValue(forKey: "pipeline")?.stringValue
                guard fields["cron"] != nil else {
                    problem("schedule", i, pipeline, "missing", "required key is missing", "cron")
                    continue
                }
                do { try Self.apply(.object(fields), to: &record) } catch let e as APIError {
                    problem("schedule", i, pipeline, e.code, e.message, e.field)
                }
            }
            return JSONResponse.make(["valid": .bool(problems.isEmpty), "problems": .array(problems)])
        }
    }
}
