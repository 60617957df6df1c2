import Foundation
import Logging
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
                "kind": .string(r.trigger == RunRecord.replayTrigger ? "replay" : "pipeline"), "origin": r.origin.map(Value.string) ?? .null,
                "summary": publicSummary(r), "progress": r.state == .running ? r.progress ?? .null : .null,
                "webhooks": webhooksValue(r.notice), "not_before": r.state == .queued ? date(r.notBefore) : .null]
    }

    /// Where the run's webhooks are: null when it has none (or has not ended).
    static func webhooksValue(_ notice: RunNotice?) -> Value {
        // Null too before the notifier's first look (a run of a tenant without webhooks is not "pending" then).
        guard let n = notice, !(n.state != .abandoned && n.sent.isEmpty && (n.state == .delivered || n.attempts == 0))
        else { return .null }
        return ["state": .string(n.state.rawValue), "attempts": .number(Double(n.attempts)),
                "sent": .array(n.sent.map(Value.string)), "last_error": n.lastError.map(Value.string) ?? .null,
                "next_attempt_at": n.state == .pending ? .string(ISOTime.string(n.dueAt)) : .null]
    }

    /// The run summary as clients see it, in one shape whatever the run's state: the counts (0 until
    /// the run ends), the error groups, the failure reason, and `outputs`: the download routes that have something.
    /// No server file paths, and no state (the run has it).
    static func publicSummary(_ r: RunRecord) -> Value {
        let s = r.summary ?? .object([:])
        func number(_ v: Value?) -> Value { .number(v?.numberValue ?? 0) }
        let stages = s["failed_by_stage"]
        var outputs = Value.Object()
        let base = "/api/v1/tenants/\(r.tenantId)/runs/\(r.id)"
        for (key, name, route) in [("results_path", "results", "results"), ("errors_csv_path", "errors", "errors"),
                                   ("reconciliation_path", "reconciliation", "reconciliation"), ("log_path", "log", "logs")]
        where s[key]?.stringValue != nil {
            outputs[name] = .string("\(base)/\(route)")
        }
        return ["pipeline": s["pipeline"]?.stringValue.map(Value.string) ?? .null,
                "records_read": number(s["records_read"]), "records_written": number(s["records_written"]),
                "records_failed": number(s["records_failed"]),
                "failed_by_stage": ["extract": number(stages?["extract"]), "transform": number(stages?["transform"]), "load": number(stages?["load"])],
                "warnings": number(s["warnings"]), "records_routed": number(s["records_routed"]),
                "error_groups": s["error_groups"]?.arrayValue.map(Value.array) ?? .array([]),
                "reconciliation": reconciliationCounts(s["reconciliation"]),
                "seconds": number(s["seconds"]), "failure_reason": s["failure_reason"]?.stringValue.map(Value.string) ?? .null,
                "error_queue": s["error_queue"] ?? ["queued": 0, "not_queued": 0],
                "schema_drift": s["schema_drift"] ?? .null,
                "outputs": .object(outputs)]
    }

    /// The reconciliation's flow counts (0 until the run ends); the money per currency is the `reconciliation`
    /// download (up to 1,000 currencies: too much for every run of a list).
    static func reconciliationCounts(_ r: Value?) -> Value {
        .object(Value.Object(uniqueKeysWithValues: ["rows_read", "records", "sent", "accepted", "refused", "routed",
                                                    "routed_refused"].map { ($0, .number(r?[$0]?.numberValue ?? 0)) }))
    }

    func run(_ context: OnrampRequestContext, tenant: String) async throws -> RunRecord {
        let id = try context.parameters.require("run")
        guard let r = try await store.run(id: id), r.tenantId == tenant else { throw APIError.notFound("run \(id)") }
        return r
    }

    func addRunRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.post("/tenants/:tenant/pipelines/:pipeline/runs") { request, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .engineer, .tenantAdmin])
            var p = try await activePipeline(context, tenant: tenant)
            var fullResync = false
            if request.headers[.contentLength].map({ $0 != "0" }) ?? false || request.headers[.transferEncoding] != nil {
                let body = try await request.jsonBody()
                try Self.onlyKeys(body, ["full_resync", "version"])
                if let f = body["full_resync"] {
                    guard case .bool(let b) = f else { throw APIError(.unprocessableContent, "invalid", "must be a boolean", field: "full_resync") }
                    fullResync = b
                }
                if let v = body["version"] {
                    // Running a version other than the latest is the engineers' call, as saving one is.
                    guard let role = context.principal?.role, role.isPlatformWide else {
                        throw APIError(.forbidden, "forbidden", "only engineers run a version other than the latest", field: "version")
                    }
                    guard let n = v.numberValue, n == n.rounded(), n >= 1, n <= Double(Int32.max) else {
                        throw APIError(.unprocessableContent, "invalid", "must be a version number", field: "version")
                    }
                    guard let chosen = try await store.pipeline(id: p.pipelineId, version: Int(n)) else {
                        throw APIError(.unprocessableContent, "invalid", "pipeline \(p.name) has no version \(Int(n))", field: "version")
                    }
                    p = chosen
                }
            }
            if let refusal = try await store.pipelineTests(pipelineId: p.pipelineId, version: p.version)?.refusal {
                throw APIError(.conflict, "tests_required", refusal)
            }
            let run = RunRecord(id: UUID().uuidString.lowercased(), tenantId: tenant, pipelineId: p.pipelineId, pipelineVersion: p.version,
                                trigger: "api", fullResync: fullResync, createdAt: Date())
            try await store.enqueue(run)
            worker?.wake()
            return JSONResponse.created(Self.runValue(run), at: "/api/v1/tenants/\(tenant)/runs/\(run.id)", status: .accepted)
        }
        api.get("/tenants/:tenant/runs") { request, context in
            let tenant = try context.tenant()
            if request.uri.queryParameters["before"] != nil {
                throw APIError(.unprocessableContent, "unknown_parameter", "before was replaced by cursor: pass next_cursor from the previous page",
                               field: "before")
            }
            let q = try QueryValues(request, allowed: ["pipeline_id", "state", "created_from", "created_before", "limit", "cursor"])
            let state = try q.choice("state", RunState.allCases.map(\.rawValue)).flatMap(RunState.init(rawValue:))
            let limit = try q.integer("limit", default: 50, in: 1...500)
            var cursor: PageCursor?
            if let token = q.string("cursor") {
                do { cursor = try PageCursor(token: token) } catch let e as OnrampError { throw APIError.invalid(e) }
            }
            let created = try Self.createdRange(q)
            // One more than asked: whether a next page exists, so the last page says so.
            let runs = try await store.runs(tenantId: tenant, pipelineId: q.string("pipeline_id"), state: state,
                                            created: created, limit: limit + 1, after: cursor)
            let page = runs.prefix(limit)
            var out: Value.Object = ["runs": .array(page.map(Self.runValue))]
            out["next_cursor"] = runs.count > limit ? page.last.map { .string(PageCursor(after: $0).token) } ?? .null : .null
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
            let q = try QueryValues(request, allowed: ["format"])
            let format = try q.choice("format", ["ndjson", "csv"]) ?? "ndjson"
            let reader = try await artifact(try await run(context, tenant: tenant), key: "results_path")
            return format == "csv" ? Self.csv(reader) : download(reader, type: "application/x-ndjson")
        }
        api.get("/tenants/:tenant/runs/:run/logs") { _, context in
            let tenant = try context.tenant()
            return download(try await artifact(try await run(context, tenant: tenant), key: "log_path"), type: "text/plain; charset=utf-8")
        }
        api.get("/tenants/:tenant/runs/:run/reconciliation") { _, context in
            let tenant = try context.tenant()
            return download(try await artifact(try await run(context, tenant: tenant), key: "reconciliation_path"), type: "text/csv")
        }
        api.get("/tenants/:tenant/runs/:run/errors") { request, context in
            let tenant = try context.tenant()
            let q = try QueryValues(request, allowed: ["format", "offset", "limit"])
            let format = try q.choice("format", ["csv", "json"]) ?? "csv"
            // Paged JSON: the error records from `offset`, at most `limit`; the report does not change
            // once the run ended, so offsets are stable.
            let offset = try q.integer("offset", default: 0, in: 0...Int.max)
            let limit = try q.integer("limit", default: 100, in: 1...1000)
            let r = try await run(context, tenant: tenant)
            guard format == "json" else { return download(try await artifact(r, key: "errors_csv_path"), type: "text/csv") }
            // Read through once: the page kept, the rest only counted.
            var page: [Value] = [], total = 0
            let reader = try await artifact(r, key: "errors_ndjson_path")
            do {
                while let lines = try reader?.nextLines() {
                    for line in lines {
                        if (offset..<offset + limit).contains(total), let v = try? JSONParser.parse([UInt8](line)) {
                            page.append(v)
                        }
                        total += 1
                    }
                    try Task.checkCancellation()
                    await Task.yield()
                }
            } catch let e as OnrampError {
                throw APIError(.internalServerError, "artifact.unreadable", "the error report of run \(r.id) cannot be opened: \(e.message)")
            }
            var out: Value.Object = ["errors": .array(page), "total": .number(Double(total))]
            out["next_offset"] = offset + limit < total ? .number(Double(offset + limit)) : .null
            return JSONResponse.make(.object(out))
        }
    }

    /// A download streamed as it is read (nil: empty). A chunk found changed after the first ends the response early.
    func download(_ reader: ArtifactReader?, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: ResponseBody { writer in
            try await Self.logged {
                while let piece = try reader?.next() { try await writer.write(ByteBuffer(bytes: piece)) }
            }
            try await writer.finish(nil)
        })
    }

    /// Runs a streamed body's reading, logging what ends it early (the response is cut off; the client sees no end).
    static func logged(_ body: () async throws -> Void) async throws {
        do { try await body() } catch {
            Logger(label: "onramp.api").error("a download ended early", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// NDJSON records as CSV, streamed: the columns of the first record, nested values as JSON.
    static func csv(_ reader: ArtifactReader?) -> Response {
        Response(status: .ok, headers: [.contentType: "text/csv"], body: ResponseBody { writer in
            var columns: [String]?
            try await logged { while let lines = try reader?.nextLines() {
                var out = ""
                for line in lines {
                    guard let v = try? JSONParser.parse([UInt8](line)) else { continue }
                    let o = v.objectValue ?? ["value": v]
                    if columns == nil {
                        columns = Array(o.keys)
                        out += CSVText.line(columns!)
                    }
                    out += CSVText.line(columns!.map { CSVText.field(o[$0]) })
                }
                try await writer.write(ByteBuffer(string: out))
            } }
            try await writer.finish(nil)
        })
    }

    /// A run artifact opened for reading, when it is sealed from beside the run's files or the object store; nil
    /// when the run ended without that output (no error, no result). 404 while the run has not ended; a sealed
    /// artifact that does not open is a 500 `artifact.unreadable` (logged), never an empty answer; an object store
    /// that does not answer is a 503 `artifact.unavailable`.
    func artifact(_ run: RunRecord, key: String) async throws -> ArtifactReader? {
        let what = ["results_path": "results", "log_path": "log", "reconciliation_path": "reconciliation"][key] ?? "error report"
        guard run.state.isFinished else {
            throw APIError(.notFound, "not_finished", "the \(what) of run \(run.id) are there once it ends (it is \(run.state.rawValue))")
        }
        guard let path = run.summary?[key]?.stringValue else { return nil }
        if let artifacts {
            do {
                if let reader = try await artifacts.reader(run: run.id, attempt: run.attempts, key: key, path: path) {
                    return reader
                }
            } catch let e as OnrampError where e.code.hasPrefix("artifact.") {
                throw APIError(.internalServerError, "artifact.unreadable", "the \(what) of run \(run.id) cannot be opened: \(e.message)")
            } catch {
                // The object store's own words (bucket, prefix, its answer) are the operator's: the log has them.
                Logger(label: "onramp.api").error("object store did not answer a download",
                                                  metadata: ["run": "\(run.id)", "key": "\(key)", "error": "\(error)"])
                throw APIError(.serviceUnavailable, "artifact.unavailable",
                               "the \(what) of run \(run.id) cannot be fetched from the object store now; try again")
            }
        } else if FileManager.default.fileExists(atPath: path + ".sealed") {
            throw APIError(.internalServerError, "artifact.unreadable", "the \(what) of run \(run.id) are sealed and this server has no key")
        }
        guard let reader = try? ArtifactReader(plain: path) else {
            throw APIError(.notFound, "not_found", "the \(what) of run \(run.id) are no longer on the server")
        }
        return reader
    }
}

extension OnrampAPI {
    /// `created_from` (inclusive) and `created_before` (exclusive), ISO 8601 times; nil when neither is given.
    static func createdRange(_ q: QueryValues) throws -> Range<Date>? {
        func time(_ name: String) throws -> Date? {
            guard let text = q.string(name) else { return nil }
            guard let date = ISOTime.date(text) else {
                throw APIError(.unprocessableContent, "invalid", "must be an ISO 8601 time such as 2026-12-01T00:00:00Z",
                               field: name)
            }
            return date
        }
        let from = try time("created_from")
        let before = try time("created_before")
        guard from != nil || before != nil else { return nil }
        let lower = from ?? Date(timeIntervalSince1970: -.greatestFiniteMagnitude)
        let upper = before ?? Date(timeIntervalSince1970: .greatestFiniteMagnitude)
        guard lower <= upper else {
            throw APIError(.unprocessableContent, "invalid", "created_before must not be earlier than created_from",
                           field: "created_before")
        }
        return lower..<upper
    }
}
