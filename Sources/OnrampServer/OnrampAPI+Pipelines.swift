import Foundation
import Hummingbird
import OnrampCore
import OnrampStore

extension OnrampAPI {
    static func pipelineValue(_ p: PipelineVersion, withDocument: Bool) -> Value {
        var o: Value.Object = ["id": .string(p.pipelineId), "tenant_id": .string(p.tenantId), "name": .string(p.name),
                               "version": .number(Double(p.version)), "created_at": .string(ISOTime.string(p.createdAt))]
        if withDocument { o["document"] = p.document }
        return .object(o)
    }

    func pipeline(_ context: OnrampRequestContext, tenant: String) async throws -> PipelineVersion {
        let id = try context.parameters.require("pipeline")
        let version = context.parameters.get("version", as: Int.self)
        guard let p = try await store.pipeline(id: id, version: version), p.tenantId == tenant else {
            throw APIError.notFound("pipeline \(id)")
        }
        return p
    }

    func addPipelineRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.post("/tenants/:tenant/pipelines") { request, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .engineer])
            guard try await store.tenant(id: tenant) != nil else { throw APIError.notFound("tenant \(tenant)") }
            let document = try await request.jsonBody()
            do { try await validate(document, tenant: tenant) } catch let e as OnrampError { throw APIError.invalid(e) }
            let saved = try await store.savePipeline(tenantId: tenant, name: document["name"]!.stringValue!, document: document, at: Date())
            return JSONResponse.make(Self.pipelineValue(saved, withDocument: true), status: .created)
        }
        api.get("/tenants/:tenant/pipelines") { _, context in
            let tenant = try context.tenant()
            return JSONResponse.make(["pipelines": .array(try await store.pipelines(tenantId: tenant).map { Self.pipelineValue($0, withDocument: false) })])
        }
        api.get("/tenants/:tenant/pipelines/:pipeline") { _, context in
            let tenant = try context.tenant()
            return JSONResponse.make(Self.pipelineValue(try await pipeline(context, tenant: tenant), withDocument: true))
        }
        api.get("/tenants/:tenant/pipelines/:pipeline/versions/:version") { _, context in
            let tenant = try context.tenant()
            return JSONResponse.make(Self.pipelineValue(try await pipeline(context, tenant: tenant), withDocument: true))
        }
    }
}
