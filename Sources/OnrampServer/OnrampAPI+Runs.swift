import Foundation
import Hummingbird
import NIOCore
import OnrampCore
import OnrampEngine
import OnrampStore

extension OnrampAPI {
    static func runValue(_ r: RunRecord) -> Value {
        func date(_ d: Date?) -> Value { d.map { .string(ISOTime.string($0)) } ?? .null }
        return ["id": .string(r.id), "tenant_id": .string(r.tenantId), "pipeline_id": .string(r.pipelineId),
                "pipeline_version": .number(Double(r.pipelineVersion)), "trigger": .string(r.trigger), "full_resync": .bool(r.fullResync),
                "state": .string(r.state.rawValue), "created_at": date(r.createdAt), "started_at": date(r.startedAt),
                "finished_at": date(r.finishedAt), "attempts": .number(Double(r.attempts)), "cancel_requested": .bool(r.cancelRequested),
                "attempt_errors": .array(r.attemptErrors.map(Value.string)),
                "summary": r.summary.map(Self.publicSummary) ?? .null]
    }

    /// The summary without server file paths (those are reached through the download routes).
    static func publicSummary(_ s: Value) -> Value {
        guard case .object(var o) = s else { return s }
        for k in RunSummary.artifactKeys { o[k] = nil }
        return .object(o)
    }

    func run(_ context: OnrampRequestContext, tenant: String) async throws -> RunRecord {
        let id = try context.parameters.require("run")
        guard let r = try await store.run(id: id), r.tenantId == tenant else { throw APIError.notFound("run \(id)") }
        return r
    }

    func addRunRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.post("/tenants/:tenant/pipelines/:pipeline/runs") { request, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .engineer, .tenantAdmin])
            let p = try await pipeline(context, tenant: tenant)
            var fullResync = false
            if request.headers[.contentLength].map({ $0 != "0" }) ?? false || request.headers[.transferEncoding] != nil {
                let body = try await request.jsonBody()
                if let f = body["full_resync"] {
                    guard case .bool(let b) = f else { throw APIError(.unprocessableContent, "invalid", "must be a boolean", field: "full_resync") }
                    fullResync = b
                }
            }
            let run = RunRecord(id: UUID().uuidString.lowercased(), tenantId: tenant, pipelineId: p.pipelineId, pipelineVersion: p.version,
                                trigger: "api", fullResync: fullResync, createdAt: Date())
            try await store.enqueue(run)
            worker?.wake()
            return JSONResponse.make(Self.runValue(run), status: .accepted)
        }
        api.get("/tenants/:tenant/runs") { request, context in
            let tenant = try context.tenant()
            let q = request.uri.queryParameters
            var state: RunState?
            if let s = q["state"] {
                guard let st = RunState(rawValue: String(s)) else {
                    throw APIError(.unprocessableContent, "invalid", "unknown state \(s)", field: "state")
                }
                state = st
            }
            let limit = min(max(Int(q["limit"].map(String.init) ?? "50") ?? 50, 1), 500)
            var before: Date?
            if let b = q["before"] {
                guard let d = ISOTime.date(String(b)) else {
                    throw APIError(.unprocessableContent, "invalid", "must be an ISO 8601 time", field: "before")
                }
                before = d
            }
            let runs = try await store.runs(tenantId: tenant, pipelineId: q["pipeline_id"].map(String.init), state: state, limit: limit, before: before)
            var out: Value.Object = ["runs": .array(runs.map(Self.runValue))]
            out["next_before"] = runs.count == limit ? runs.last.map { .string(ISOTime.string($0.createdAt)) } ?? .null : .null
            return JSONResponse.make(.object(out))
        }
        api.get("/tenants/:tenant/runs/:run") { _, context in
            let tenant = try context.tenant()
            return JSONResponse.make(Self.runValue(try await run(context, tenant: tenant)))
        }
        api.post("/tenants/:tenant/runs/:run/cancel") { _, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .engineer, .tenantAdmin])
            let r = try await run(context, tenant: tenant)
            guard !r.state.isFinished else { throw APIError(.conflict, "conflict", "run \(r.id) already finished (\(r.state.rawValue))") }
            return JSONResponse.make(Self.runValue(try await store.requestCancel(runId: r.id) ?? r))
        }
        api.get("/tenants/:tenant/runs/:run/results") { request, context in
            let tenant = try context.tenant()
            let r = try await run(context, tenant: tenant)
            if request.uri.queryParameters["format"] == "csv" {
                return Self.csv(try artifact(r, key: "results_path"))
            }
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: ByteBuffer(bytes: try artifact(r, key: "results_path"))))
        }
        api.get("/tenants/:tenant/runs/:run/logs") { _, context in
            let tenant = try context.tenant()
            return try await download(try await run(context, tenant: tenant), key: "log_path", type: "text/plain; charset=utf-8")
        }
        api.get("/tenants/:tenant/runs/:run/errors") { request, context in
            let tenant = try context.tenant()
            let r = try await run(context, tenant: tenant)
            let q = request.uri.queryParameters
            guard q["format"] == "json" else { return try await download(r, key: "errors_csv_path", type: "text/csv") }
            // Paged JSON: the error records from `offset`, at most `limit` (1-1000).
            let offset = max(Int(q["offset"].map(String.init) ?? "0") ?? 0, 0)
            let limit = min(max(Int(q["limit"].map(String.init) ?? "100") ?? 100, 1), 1000)
            let lines = try artifact(r, key: "errors_ndjson_path").split(separator: 0x0A)
            let page = lines.dropFirst(offset).prefix(limit).compactMap { try? JSONParser.parse([UInt8]($0)) }
            var out: Value.Object = ["errors": .array(page), "total": .number(Double(lines.count))]
            out["next_offset"] = offset + page.count < lines.count ? .number(Double(offset + page.count)) : .null
            return JSONResponse.make(.object(out))
        }
    }

    func download(_ run: RunRecord, key: String, type: String) async throws -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: try artifact(run, key: key))))
    }

    /// NDJSON records as CSV: the columns of the first record, nested values as JSON.
    static func csv(_ ndjson: Data) -> Response {
        var out = ""
        var columns: [String]?
        for line in ndjson.split(separator: 0x0A) {
            guard let v = try? JSONParser.parse([UInt8](line)) else { continue }
            let o = v.objectValue ?? ["value": v]
            if columns == nil {
                columns = Array(o.keys)
                out += CSVText.line(columns!)
            }
            out += CSVText.line(columns!.map { CSVText.field(o[$0]) })
        }
        return Response(status: .ok, headers: [.contentType: "text/csv"], body: .init(byteBuffer: ByteBuffer(string: out)))
    }

    /// A run artifact's content, opened when it is sealed.
    func artifact(_ run: RunRecord, key: String) throws -> Data {
        let missing = APIError.notFound("the \(["results_path": "results", "log_path": "log"][key] ?? "error report") of run \(run.id)")
        guard let path = run.summary?[key]?.stringValue else { throw missing }
        let data: Data
        if let artifacts, FileManager.default.fileExists(atPath: path + ".sealed") {
            data = try artifacts.open(path: path + ".sealed", context: "\(run.id)/\(key)")
        } else if let plain = FileManager.default.contents(atPath: path) {
            data = plain
        } else {
            throw missing
        }
        return data
    }
}
