import Foundation
import Hummingbird
import OnrampCore
import OnrampEngine
import OnrampStore

extension OnrampAPI {
    static func templateValue(_ t: TemplateRecord, withDocument: Bool) -> Value {
        let params = Set(Placeholders.references(in: t.document).filter { $0.kind == "param" }.map(\.name)).sorted()
        var o: Value.Object = ["name": .string(t.name), "description": .string(t.description),
                               "parameters": .array(params.map(Value.string)), "updated_at": .string(ISOTime.string(t.updatedAt)),
                               "builtin": false]
        if let starter = StarterTemplates.named(t.name), StarterTemplates.documents[t.name] == t.document {
            o["builtin"] = true
            o["parameter_details"] = .array(starter.parameters.map {
                ["name": .string($0.name), "description": .string($0.description), "example": .string($0.example)]
            })
        }
        if withDocument { o["document"] = t.document }
        return .object(o)
    }

    /// A stored template, else the starter template of that name (the binary's own, read-only until one is stored).
    func template(named name: String) async throws -> TemplateRecord? {
        if let t = try await store.template(name: name) { return t }
        guard let starter = StarterTemplates.named(name), let document = StarterTemplates.documents[name] else { return nil }
        return TemplateRecord(name: starter.name, description: starter.description, document: document,
                              updatedAt: Date(timeIntervalSince1970: 0))
    }

    /// The stored templates and the starters no stored one replaces, by name.
    func allTemplates() async throws -> [TemplateRecord] {
        let stored = try await store.templates()
        let names = Set(stored.map(\.name))
        var all = stored
        for starter in StarterTemplates.all where !names.contains(starter.name) {
            guard let document = StarterTemplates.documents[starter.name] else { continue }
            all.append(TemplateRecord(name: starter.name, description: starter.description, document: document,
                                      updatedAt: Date(timeIntervalSince1970: 0)))
        }
        return all.sorted { $0.name < $1.name }
    }

    func addTemplateRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.put("/templates/:template") { request, context in
            _ = try context.require([.platformAdmin, .engineer])
            let name = try context.parameters.require("template")
            guard name.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
                throw APIError(.unprocessableContent, "invalid", "a template name is lower-case letters, digits and '-'", field: "name")
            }
            let body = try await request.jsonBody()
            guard let document = body["document"] else { throw APIError(.unprocessableContent, "missing", "required key is missing", field: "document") }
            do { try await validate(document) } catch let e as OnrampError { throw APIError(.unprocessableContent, e.code, e.message, field: e.location.map { "document.\($0)" }) }
            let t = TemplateRecord(name: name, description: body["description"]?.stringValue ?? "", document: document, updatedAt: Date())
            try await store.saveTemplate(t)
            return JSONResponse.make(Self.templateValue(t, withDocument: true))
        }
        api.get("/templates") { _, context in
            _ = try context.require(Set(Role.allCases))
            return JSONResponse.make(["templates": .array(try await allTemplates().map { Self.templateValue($0, withDocument: false) })])
        }
        api.get("/templates/:template") { _, context in
            _ = try context.require(Set(Role.allCases))
            let name = try context.parameters.require("template")
            guard let t = try await template(named: name) else { throw APIError.notFound("template \(name)") }
            return JSONResponse.make(Self.templateValue(t, withDocument: true))
        }
        // Onboarding: a tenant's pipeline from a template, its blanks filled in.
        api.post("/tenants/:tenant/templates/:template/pipelines") { request, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .engineer, .tenantAdmin])
            guard try await store.tenant(id: tenant) != nil else { throw APIError.notFound("tenant \(tenant)") }
            let name = try context.parameters.require("template")
            guard let t = try await template(named: name) else { throw APIError.notFound("template \(name)") }
            let body = try await request.jsonBody()
            guard case .string(let pipelineName)? = body["name"] else {
                throw APIError(.unprocessableContent, "missing", "the new pipeline's name is required", field: "name")
            }
            let wanted = Set(Placeholders.references(in: t.document).filter { $0.kind == "param" }.map(\.name))
            var values: [String: String] = [:]
            for (k, v) in body["parameters"]?.objectValue ?? [:] {
                guard wanted.contains(k) else { throw APIError(.unprocessableContent, "unknown_key", "the template has no parameter \(k)", field: "parameters.\(k)") }
                guard let text = v.scalarText, !v.isNull else { throw APIError(.unprocessableContent, "invalid", "must be a string or number", field: "parameters.\(k)") }
                values[k] = text
            }
            if let missing = wanted.subtracting(values.keys).sorted().first {
                throw APIError(.unprocessableContent, "missing", "the template needs parameter \(missing)", field: "parameters.\(missing)")
            }
            var document: Value
            do {
                document = try Placeholders.substitute(t.document, values: ["param": values], leaving: ["env", "secret"])
            } catch let e as OnrampError { throw APIError.invalid(e) }
            guard case .object(var o) = document else { throw APIError(.unprocessableContent, "invalid", "the template is not an object") }
            o["name"] = .string(pipelineName)
            document = .object(o)
            do { try await validate(document, tenant: tenant) } catch let e as OnrampError { throw APIError.invalid(e) }
            let saved = try await store.savePipeline(tenantId: tenant, name: pipelineName, document: document, at: Date())
            return JSONResponse.created(Self.pipelineValue(saved, withDocument: true),
                                        at: "/api/v1/tenants/\(tenant)/pipelines/\(saved.pipelineId)/versions/\(saved.version)")
        }
    }
}
