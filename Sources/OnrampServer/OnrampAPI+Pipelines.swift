import Foundation
import Hummingbird
import OnrampCore
import OnrampStore

extension OnrampAPI {
    static func pipelineValue(_ p: PipelineVersion, withDocument: Bool) -> Value {
        var o: Value.Object = ["id": .string(p.pipelineId), "tenant_id": .string(p.tenantId), "name": .string(p.name),
                               "version": .number(Double(p.version)), "created_at": .string(ISOTime.string(p.createdAt)),
                               "archived_at": p.archivedAt.map { .string(ISOTime.string($0)) } ?? .null]
        if withDocument { o["document"] = p.document }
        return .object(o)
    }

    /// The pipeline in the path, by id or by name (names are unique in a tenant), at the version in
    /// the path or its latest.
    func pipeline(_ context: OnrampRequestContext, tenant: String) async throws -> PipelineVersion {
        let key = try context.parameters.require("pipeline")
        let version = context.parameters.get("version", as: Int.self)
        var found = try await store.pipeline(id: key, version: version)
        if found == nil, let byName = try await store.pipelines(tenantId: tenant).first(where: { $0.name == key }) {
            found = try await store.pipeline(id: byName.pipelineId, version: version)
        }
        guard let p = found, p.tenantId == tenant else { throw APIError.notFound("pipeline \(key)") }
        return p
    }

    /// The pipeline in the path, refusing an archived one (409) for what would start new work.
    func activePipeline(_ context: OnrampRequestContext, tenant: String) async throws -> PipelineVersion {
        let p = try await pipeline(context, tenant: tenant)
        guard p.archivedAt == nil else {
            throw APIError(.conflict, "archived", "pipeline \(p.name) is archived; save it again to use it")
        }
        return p
    }

    func addPipelineRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        let editors: Set<Role> = [.platformAdmin, .engineer]
        api.post("/tenants/:tenant/pipelines") { request, context in
            let tenant = try context.tenant(allowing: editors)
            guard try await store.tenant(id: tenant) != nil else { throw APIError.notFound("tenant \(tenant)") }
            let document = try await request.documentBody()
            do { try await validate(document, tenant: tenant) } catch let e as OnrampError { throw APIError.invalid(e) }
            let saved = try await store.savePipeline(tenantId: tenant, name: document["name"]!.stringValue!, document: document, at: Date())
            return JSONResponse.created(Self.pipelineValue(saved, withDocument: true),
                                        at: "/api/v1/tenants/\(tenant)/pipelines/\(saved.pipelineId)/versions/\(saved.version)")
        }
        api.get("/tenants/:tenant/pipelines") { request, context in
            let tenant = try context.tenant()
            let page = try ListPage(request).slice(try await store.pipelines(tenantId: tenant)) { $0.name }
            return JSONResponse.make(["pipelines": .array(page.items.map { Self.pipelineValue($0, withDocument: false) }),
                                      "next_cursor": page.next])
        }
        api.get("/tenants/:tenant/pipelines/:pipeline") { _, context in
            let tenant = try context.tenant()
            return JSONResponse.make(Self.pipelineValue(try await pipeline(context, tenant: tenant), withDocument: true))
        }
        // Archiving: the pipeline leaves the list, its schedules are deleted and its queued runs
        // cancelled; its versions and runs stay readable. Saving it again brings it back.
        api.delete("/tenants/:tenant/pipelines/:pipeline") { _, context in
            let tenant = try context.tenant(allowing: editors)
            let p = try await activePipeline(context, tenant: tenant)
            for s in try await store.schedules(tenantId: tenant) where s.pipelineId == p.pipelineId { _ = try await store.deleteSchedule(id: s.id) }
            for r in try await store.runs(tenantId: tenant, pipelineId: p.pipelineId, state: .queued, limit: 10_000, after: nil) {
                _ = try await store.requestCancel(runId: r.id)
            }
            _ = try await store.archivePipeline(id: p.pipelineId, at: Date())
            scheduler?.wake()
            return Response(status: .noContent)
        }
        api.get("/tenants/:tenant/pipelines/:pipeline/versions") { _, context in
            let tenant = try context.tenant()
            let p = try await pipeline(context, tenant: tenant)
            let versions = try await store.pipelineVersions(id: p.pipelineId)
            return JSONResponse.make(["versions": .array(versions.reversed().map { Self.pipelineValue($0, withDocument: false) })])
        }
        api.get("/tenants/:tenant/pipelines/:pipeline/versions/:version") { _, context in
            let tenant = try context.tenant()
            return JSONResponse.make(Self.pipelineValue(try await pipeline(context, tenant: tenant), withDocument: true))
        }
    }
}
