import Foundation
import Hummingbird
import OnrampCore
import OnrampStore

/// The error queue over the API: every failed record of the tenant's runs, grouped, edited, ignored and replayed.
extension OnrampAPI {
    /// The largest record value an edit may set (its JSON text, in bytes).
    static let maxErrorValueBytes = 256 << 10
    /// The most entries one replay takes.
    static let maxReplayEntries = 1000
    static let changeRoles: Set<Role> = [.platformAdmin, .engineer, .tenantAdmin]

    var errorQueue: ErrorQueueService {
        get throws {
            guard let secretBox else {
                throw APIError(.internalServerError, "error_queue.no_key", "this server has no keyring to open the error queue")
            }
            return ErrorQueueService(store: store, box: secretBox)
        }
    }

    static func errorValue(_ e: ErrorEntry, value: Value?) -> Value {
        func date(_ d: Date?) -> Value { d.map { .string(ISOTime.string($0)) } ?? .null }
        func text(_ s: String?) -> Value { s.map(Value.string) ?? .null }
        var o: Value.Object = [
            "id": .string(e.id), "run_id": .string(e.runId), "pipeline_id": .string(e.pipelineId),
            "pipeline_version": .number(Double(e.pipelineVersion)), "stage": .string(e.stage.rawValue), "step": text(e.step),
            "code": .string(e.code), "message": .string(e.message), "field": text(e.field), "file": text(e.position.file),
            "line": e.position.line.map { .number(Double($0)) } ?? .null, "key": text(e.position.key),
            "reentry_step": e.reentryStep.map { .number(Double($0)) } ?? .null, "state": .string(e.state.rawValue),
            "replay_run_id": text(e.replayRunId), "origin_id": text(e.originId), "edited_by": text(e.editedBy),
            "edited_at": date(e.editedAt), "created_at": date(e.createdAt), "updated_at": date(e.updatedAt),
        ]
        if let value { o["value"] = value }
        return .object(o)
    }

    func errorEntry(_ context: OnrampRequestContext, tenant: String) async throws -> ErrorEntry {
        let id = try context.parameters.require("error")
        guard let e = try await store.errorEntry(id: id), e.tenantId == tenant else { throw APIError.notFound("error \(id)") }
        return e
    }

    static func errorFilter(_ q: QueryValues) throws -> ErrorQueueFilter {
        let state = try q.choice("state", ErrorEntryState.allCases.map(\.rawValue)).flatMap(ErrorEntryState.init(rawValue:))
        return ErrorQueueFilter(runId: q.string("run_id"), pipelineId: q.string("pipeline_id"), state: state, code: q.string("code"),
                                step: q.string("step"), search: try searchText(q.string("search"), field: "search"))
    }

    /// At most 256 bytes, no NUL; empty is no search.
    static func searchText(_ text: String?, field: String) throws -> String? {
        guard let text, !text.isEmpty else { return nil }
        guard text.utf8.count <= 256, !text.utf8.contains(0) else {
            throw APIError(.unprocessableContent, "invalid", "a search is at most 256 bytes, with no NUL", field: field)
        }
        return text
    }

    static let errorFilterNames: Set<String> = ["run_id", "pipeline_id", "state", "code", "step", "search"]

    func addErrorRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.get("/tenants/:tenant/errors") { request, context in
            let tenant = try context.tenant()
            let q = try QueryValues(request, allowed: Self.errorFilterNames.union(["limit", "cursor"]))
            let limit = try q.integer("limit", default: 50, in: 1...500)
            var cursor: PageCursor?
            if let token = q.string("cursor") {
                do { cursor = try PageCursor(token: token) } catch let e as OnrampError { throw APIError.invalid(e) }
            }
            let entries = try await store.errorEntries(tenantId: tenant, filter: try Self.errorFilter(q), limit: limit + 1, after: cursor)
            let page = entries.prefix(limit)
            var out: Value.Object = ["errors": .array(page.map { Self.errorValue($0, value: nil) })]
            out["next_cursor"] = entries.count > limit
                ? page.last.map { .string(PageCursor(createdAt: $0.createdAt, id: $0.id).token) } ?? .null : .null
            return JSONResponse.make(.object(out))
        }
        api.get("/tenants/:tenant/error-groups") { request, context in
            let tenant = try context.tenant()
            let q = try QueryValues(request, allowed: Self.errorFilterNames)
            let groups = try await store.errorGroups(tenantId: tenant, filter: try Self.errorFilter(q))
            return JSONResponse.make(["groups": .array(groups.map { g in
                var label = "\(g.count) × \(g.code)"
                if let field = g.field { label += " at \(field)" }
                if let step = g.step { label += " (\(step))" }
                return ["code": .string(g.code), "step": g.step.map(Value.string) ?? .null, "field": g.field.map(Value.string) ?? .null,
                        "count": .number(Double(g.count)), "label": .string(label)]
            })])
        }
        api.get("/tenants/:tenant/errors/:error") { _, context in
            let tenant = try context.tenant()
            let e = try await errorEntry(context, tenant: tenant)
            return JSONResponse.make(Self.errorValue(e, value: try errorQueue.value(of: e)))
        }
        api.put("/tenants/:tenant/errors/:error/value") { request, context in
            let tenant = try context.tenant(allowing: Self.changeRoles)
            let body = try await request.jsonBody(limit: Self.maxErrorValueBytes + 4096)
            guard let value = body["value"] else {
                throw APIError(.unprocessableContent, "missing", "required key is missing", field: "value")
            }
            guard JSONWriter.string(value).utf8.count <= Self.maxErrorValueBytes else {
                throw APIError(.unprocessableContent, "error_queue.value_too_large",
                               "a record value may have at most \(Self.maxErrorValueBytes) bytes of JSON", field: "value")
            }
            let e = try await errorEntry(context, tenant: tenant)
            try await refuseWhileReplaying(e)
            let sealed = try errorQueue.seal(value, tenant: tenant, id: e.id)
            let editor = context.principal.map { $0.name.isEmpty ? $0.keyId : $0.name } ?? "unknown"
            let now = Date()
            guard let edited = try await store.updateErrorEntries(tenantId: tenant, ids: [e.id], {
                ErrorQueueLifecycle.edit($0, sealedValue: sealed, by: editor, at: now)
            }).first else {
                throw APIError(.conflict, "error_queue.state", "error \(e.id) is \(e.state.rawValue); only an open one can be edited")
            }
            return JSONResponse.make(Self.errorValue(edited, value: value))
        }
        api.post("/tenants/:tenant/errors/:error/state") { request, context in
            let tenant = try context.tenant(allowing: Self.changeRoles)
            let body = try await request.jsonBody()
            guard let state = body["state"]?.stringValue.flatMap(ErrorEntryState.init(rawValue:)), state != .resolved else {
                throw APIError(.unprocessableContent, "invalid", "must be ignored or open", field: "state")
            }
            let e = try await errorEntry(context, tenant: tenant)
            try await refuseWhileReplaying(e)
            let now = Date()
            guard let changed = try await store.updateErrorEntries(tenantId: tenant, ids: [e.id], {
                ErrorQueueLifecycle.set($0, to: state, at: now)
            }).first else {
                throw APIError(.conflict, "error_queue.state", "error \(e.id) is \(e.state.rawValue); it cannot become \(state.rawValue)")
            }
            return JSONResponse.make(Self.errorValue(changed, value: nil))
        }
        api.post("/tenants/:tenant/errors/replay") { request, context in
            let tenant = try context.tenant(allowing: Self.changeRoles)
            let run = try await replay(try await request.jsonBody(), tenant: tenant)
            return JSONResponse.created(Self.runValue(run), at: "/api/v1/tenants/\(tenant)/runs/\(run.id)", status: .accepted)
        }
    }

    /// A 409 while a replay run that took the entry has not ended.
    func refuseWhileReplaying(_ e: ErrorEntry) async throws {
        guard let id = e.replayRunId, e.state == .open, let r = try await store.run(id: id), !r.state.isFinished else { return }
        throw APIError(.conflict, "error_queue.replaying", "error \(e.id) is being replayed by run \(id); wait until it ends")
    }

    /// Queues a replay run of the open entries `body` chooses (`ids`, or a `filter` of run_id, pipeline_id, code, step).
    func replay(_ body: Value, tenant: String) async throws -> RunRecord {
        var filter = ErrorQueueFilter()
        if let ids = body["ids"] {
            guard let list = ids.arrayValue, !list.isEmpty, list.count <= Self.maxReplayEntries,
                  list.allSatisfy({ $0.stringValue != nil }) else {
                throw APIError(.unprocessableContent, "invalid", "must be 1 to \(Self.maxReplayEntries) error ids", field: "ids")
            }
            filter.ids = list.compactMap(\.stringValue)
        } else if case .object(let f)? = body["filter"] {
            for (k, v) in f {
                guard v.stringValue != nil else {
                    throw APIError(.unprocessableContent, "invalid", "must be a string", field: "filter.\(k)")
                }
                switch k {
                case "run_id": filter.runId = v.stringValue
                case "pipeline_id": filter.pipelineId = v.stringValue
                case "code": filter.code = v.stringValue
                case "step": filter.step = v.stringValue
                case "search": filter.search = try Self.searchText(v.stringValue, field: "filter.search")
                default:
                    throw APIError(.unprocessableContent, "unknown_key", "a filter takes run_id, pipeline_id, code, step, search",
                                   field: "filter.\(k)")
                }
            }
            guard filter.runId != nil || filter.pipelineId != nil else {
                throw APIError(.unprocessableContent, "missing", "a replay filter names a run_id or a pipeline_id", field: "filter")
            }
            filter.state = .open
        } else {
            throw APIError(.unprocessableContent, "missing", "give ids (error ids) or a filter", field: "ids")
        }
        var entries = try await store.errorEntries(tenantId: tenant, filter: filter, limit: Self.maxReplayEntries + 1, after: nil)
        if let ids = filter.ids, let missing = Set(ids).subtracting(entries.map(\.id)).sorted().first {
            throw APIError.notFound("error \(missing)")
        }
        if let closed = entries.first(where: { $0.state != .open }) {
            throw APIError(.conflict, "error_queue.state", "error \(closed.id) is \(closed.state.rawValue); only open ones are replayed")
        }
        guard !entries.isEmpty else { throw APIError(.conflict, "replay.nothing", "no open error matches the filter") }
        entries = try await withWholeGroups(entries, tenant: tenant)
        guard entries.count <= Self.maxReplayEntries else {
            throw APIError(.unprocessableContent, "replay.too_many",
                           "a replay takes at most \(Self.maxReplayEntries) errors; narrow the filter", field: "filter")
        }
        let pipelines = Set(entries.map(\.pipelineId))
        guard pipelines.count == 1, let pipelineId = pipelines.first else {
            throw APIError(.unprocessableContent, "replay.pipelines",
                           "the errors of one replay come from one pipeline (these: \(pipelines.count))")
        }
        for e in entries { try await refuseWhileReplaying(e) }
        guard let p = try await store.pipeline(id: pipelineId, version: nil) else { throw APIError.notFound("pipeline \(pipelineId)") }
        guard p.archivedAt == nil else { throw APIError(.conflict, "archived", "pipeline \(p.name) is archived; save it again to replay") }
        let now = Date()
        let origin = entries.max { ($0.createdAt, $0.runId) < ($1.createdAt, $1.runId) }?.runId
        let run = RunRecord(id: UUID().uuidString.lowercased(), tenantId: tenant, pipelineId: pipelineId, pipelineVersion: p.version,
                            trigger: RunRecord.replayTrigger, createdAt: now, origin: origin)
        // The entries first: a run in the queue always finds the entries it replays.
        let runId = run.id
        _ = try await store.updateErrorEntries(tenantId: tenant, ids: entries.map(\.id)) {
            ErrorQueueLifecycle.take($0, replayRun: runId, at: now)
        }
        try await store.enqueue(run)
        worker?.wake()
        return run
    }

    /// The codes of records an `aggregate` group dropped together.
    static let groupCodes: Set<String> = ["aggregate.not_number", "aggregate.too_large", "aggregate.too_many_values",
                                          "aggregate.group_failed"]

    /// `entries` with every open entry of the same run and step that a failed `aggregate` group dropped, so that a
    /// replay gives each group of that run and step whole (more than the cap is `replay.too_many`).
    func withWholeGroups(_ entries: [ErrorEntry], tenant: String) async throws -> [ErrorEntry] {
        var out = entries
        var seen = Set(entries.map(\.id))
        let places = Set(entries.compactMap { e in Self.groupCodes.contains(e.code) ? e.step.map { [e.runId, $0] } : nil })
        guard places.count <= 100 else {
            throw APIError(.unprocessableContent, "replay.too_many",
                           "the errors chosen come from \(places.count) failed aggregate steps of runs: a replay takes at most 100")
        }
        for place in places.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            for code in Self.groupCodes.sorted() {
                let filter = ErrorQueueFilter(runId: place[0], state: .open, code: code, step: place[1])
                let found = try await store.errorEntries(tenantId: tenant, filter: filter, limit: Self.maxReplayEntries + 1, after: nil)
                for e in found where seen.insert(e.id).inserted { out.append(e) }
                guard found.count <= Self.maxReplayEntries, out.count <= Self.maxReplayEntries else {
                    throw APIError(.unprocessableContent, "replay.too_many",
                                   "the failed aggregate groups of run \(place[0]) at \(place[1]) hold more than "
                                   + "\(Self.maxReplayEntries) errors: a replay takes at most that many; run the pipeline again instead")
                }
            }
        }
        return out
    }
}
