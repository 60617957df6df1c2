import OnrampCore

/// The OpenAPI 3.1 document served at `/api/v1/openapi.json`, generated from the route table
/// below (a test checks that every listed route exists and answers).
enum OpenAPIDocument {
    struct Route {
        let method: String, path: String, summary: String, success: Int
        var secured = true
        var body: String?
    }

    static let routes: [Route] = [
        Route(method: "get", path: "/healthz", summary: "Liveness", success: 200, secured: false),
        Route(method: "get", path: "/readyz", summary: "Readiness (the store answers)", success: 200, secured: false),
        Route(method: "get", path: "/api/v1/openapi.json", summary: "This document", success: 200, secured: false),
        Route(method: "get", path: "/metrics", summary: "Prometheus metrics: runs by state, records by stage, queue depth, run duration, TAXMAN latency", success: 200, secured: false),
        Route(method: "get", path: "/api/v1/connectors", summary: "Connector catalog with config schemas", success: 200),
        Route(method: "get", path: "/api/v1/limits", summary: "What a run, a preview, an upload and a tenant's files may cost on this server (the operator's limits)", success: 200),
        Route(method: "post", path: "/api/v1/login", summary: "Sign in {email, password}: session cookie and CSRF token", success: 200, secured: false, body: "{email, password}"),
        Route(method: "post", path: "/api/v1/logout", summary: "End the session", success: 204),
        Route(method: "get", path: "/api/v1/me", summary: "The caller: kind (session or api_key), id, name, role, tenant; a session's CSRF token",
              success: 200),
        Route(method: "post", path: "/api/v1/me/password", summary: "A signed-in person changes their password; their other sessions end",
              success: 204, body: "{current_password, new_password}"),
        Route(method: "post", path: "/api/v1/schedules/preview", summary: "The next fire times of a cron in a time zone {cron, timezone, count}",
              success: 200, body: "{cron, timezone, count}"),
        Route(method: "post", path: "/api/v1/expressions/compile",
              summary: "Compile a JSONata expression: {ok, fields} or {ok: false, error: {code, message, position, token}}", success: 200,
              body: "{expression}"),
        Route(method: "post", path: "/api/v1/expressions/evaluate",
              summary: "Evaluate a JSONata expression on a sample record: {ok, result} or {ok: false, error}", success: 200,
              body: "{expression, input}"),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/users", summary: "Create a person's account {email, role, password?}; a generated password is shown once", success: 201, body: "{email, role, password}"),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/users", summary: "A tenant's people", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/users/{user}", summary: "One person's account", success: 200),
        Route(method: "post", path: "/api/v1/validate", summary: "Validate a pipeline document", success: 200, body: "pipeline document"),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/preview", summary: "First records after each step {document, limit}; nothing is sent", success: 200, body: "{document, limit}"),
        Route(method: "post", path: "/api/v1/tenants", summary: "Create a tenant (platform_admin)", success: 201, body: "{id, name}"),
        Route(method: "get", path: "/api/v1/tenants", summary: "Tenants the caller may see", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}", summary: "One tenant", success: 200),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/api-keys", summary: "Create an API key; the key is shown once", success: 201, body: "{name, role}"),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/api-keys", summary: "List API keys (no secrets)", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/api-keys/{key}", summary: "One API key (no secret)", success: 200),
        Route(method: "delete", path: "/api/v1/tenants/{tenant}/api-keys/{key}", summary: "Revoke an API key", success: 204),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/pipelines", summary: "Save a pipeline (a new version each time; JSON or YAML)", success: 201, body: "pipeline document"),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/pipelines", summary: "List pipelines (latest versions, archived ones left out)", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/pipelines/{pipeline}", summary: "Latest version of a pipeline (by id or name)", success: 200),
        Route(method: "delete", path: "/api/v1/tenants/{tenant}/pipelines/{pipeline}",
              summary: "Archive a pipeline: out of the list, schedules deleted, queued runs cancelled; versions and runs stay", success: 204),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/pipelines/{pipeline}/versions", summary: "A pipeline's versions, newest first", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/pipelines/{pipeline}/versions/{version}", summary: "One version of a pipeline", success: 200),
        Route(method: "put", path: "/api/v1/tenants/{tenant}/pipelines/{pipeline}/versions/{version}/tests",
              summary: "Store the version's test document (JSON or YAML; ?required=true: runs wait until they pass)", success: 200,
              body: "test document"),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/pipelines/{pipeline}/versions/{version}/tests",
              summary: "The version's tests, whether runs need them, and their last run", success: 200),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/pipelines/{pipeline}/versions/{version}/tests/run",
              summary: "Run the version's tests (like a preview: nothing is sent); the result is recorded", success: 200),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/pipelines/{pipeline}/runs", summary: "Run now (optionally {full_resync: true}, {version: n}: an earlier version)", success: 202,
              body: "{full_resync, version}"),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/runs", summary: "Runs, newest first (filters: pipeline_id, state; paging: limit, cursor -> next_cursor)", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/runs/{run}", summary: "One run with its counts per stage", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/runs/{run}/events",
              summary: "The run as server-sent events: `event: run` at once and on every change, until it is finished", success: 200),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/runs/{run}/cancel", summary: "Cancel (at the next batch boundary)", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/runs/{run}/results", summary: "Download the results (NDJSON)", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/runs/{run}/errors", summary: "Download the error report (CSV)", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/runs/{run}/logs", summary: "Download the run's log (text)", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/runs/{run}/reconciliation",
              summary: "Download the reconciliation (CSV: the run's counts, then per currency)", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/errors",
              summary: "The error queue: failed records of runs, newest first (filters: run_id, pipeline_id, state, code, step; paging: limit, cursor)",
              success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/error-groups",
              summary: "The error queue counted by code, step and field, largest first (filters as the list)", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/errors/{error}", summary: "One failed record with its value", success: 200),
        Route(method: "put", path: "/api/v1/tenants/{tenant}/errors/{error}/value",
              summary: "Edit an open failed record's value {value} (JSON, at most 256 KiB) for its replay", success: 200, body: "{value}"),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/errors/{error}/state",
              summary: "Ignore an open failed record or reopen an ignored one {state: ignored|open}", success: 200, body: "{state}"),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/errors/replay",
              summary: "Replay open failed records {ids} or {filter: {run_id, pipeline_id, code, step}}: a new run of the pipeline's current version",
              success: 202, body: "{ids, filter}"),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/pipelines/{pipeline}/schedules", summary: "Schedule a pipeline {cron, timezone, enabled}", success: 201, body: "{cron, timezone, enabled}"),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/schedules", summary: "Schedules with their next 5 fire times", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/schedules/{schedule}", summary: "One schedule with its next 5 fire times", success: 200),
        Route(method: "patch", path: "/api/v1/tenants/{tenant}/schedules/{schedule}", summary: "Change cron, time zone, or enable/disable", success: 200, body: "{cron, timezone, enabled}"),
        Route(method: "delete", path: "/api/v1/tenants/{tenant}/schedules/{schedule}", summary: "Delete a schedule", success: 204),
        Route(method: "put", path: "/api/v1/tenants/{tenant}/secrets/{name}", summary: "Set a secret {value, origins} (encrypted at rest, never returned; sent only to its origins)", success: 200, body: "{value, origins}"),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/secrets", summary: "Secret names, their origins and when they changed", success: 200),
        Route(method: "delete", path: "/api/v1/tenants/{tenant}/secrets/{name}", summary: "Delete a secret", success: 204),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/webhook", summary: "The tenant's webhook", success: 200),
        Route(method: "put", path: "/api/v1/tenants/{tenant}/webhook",
              summary: "Set the tenant's webhook {url, secret: ${secret:NAME} bound to the url's origin, events, enabled}", success: 200,
              body: "{url, secret, events, enabled}"),
        Route(method: "delete", path: "/api/v1/tenants/{tenant}/webhook", summary: "Remove the tenant's webhook", success: 204),
        Route(method: "put", path: "/api/v1/tenants/{tenant}/connections/{name}", summary: "Save a connection {connector, config}; pipelines use {connection: name}", success: 200, body: "{connector, config}"),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/connections", summary: "A tenant's connections (secrets only as ${secret:NAME})", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/connections/{name}", summary: "One connection", success: 200),
        Route(method: "delete", path: "/api/v1/tenants/{tenant}/connections/{name}", summary: "Delete a connection", success: 204),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/connections/{name}/check",
              summary: "Test that the connection reaches its system: {ok, message} or {ok: false, code, message, field}", success: 200),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/connections/{name}/discover",
              summary: "A source connection's streams with their fields, primary key and cursor", success: 200),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/deploy/validate",
              summary: "Check a whole push before applying it (onramp push): {valid, problems: [{kind, index, name, code, message, field}]}; changes nothing",
              success: 200, body: "{connections, removed_connections, pipelines, templates, schedules}"),
        Route(method: "put", path: "/api/v1/templates/{template}", summary: "Save a template: a pipeline with ${param:NAME} blanks", success: 200, body: "{description, document}"),
        Route(method: "get", path: "/api/v1/templates", summary: "Templates with their parameters", success: 200),
        Route(method: "get", path: "/api/v1/templates/{template}", summary: "One template", success: 200),
        Route(method: "post", path: "/api/v1/tenants/{tenant}/templates/{template}/pipelines", summary: "Onboard: a pipeline from a template {name, parameters}", success: 201, body: "{name, parameters}"),
        Route(method: "get", path: "/api/v1/audit", summary: "The audit log, newest first (platform_admin; filter tenant_id; paging: limit, cursor)", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/audit", summary: "A tenant's audit log, newest first (paging: limit, cursor)", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/files", summary: "Files in the tenant's file area with size and modified time (filter: prefix)", success: 200),
        Route(method: "put", path: "/api/v1/tenants/{tenant}/files/{path}", summary: "Upload a file (raw body, streamed; size-limited)", success: 200, body: "the file's bytes"),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/files/{path}", summary: "Download a file (streamed)", success: 200),
        Route(method: "delete", path: "/api/v1/tenants/{tenant}/files/{path}", summary: "Delete a file", success: 204),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/reference-tables", summary: "The tenant's reference tables and their versions", success: 200),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/reference-tables/{name}", summary: "One reference table's versions", success: 200),
        Route(method: "put", path: "/api/v1/tenants/{tenant}/reference-tables/{name}", summary: "Upload a CSV as the table's next version (every row checked)", success: 201, body: "the CSV"),
        Route(method: "get", path: "/api/v1/tenants/{tenant}/reference-tables/{name}/versions/{version}", summary: "Download a version (CSV)", success: 200),
    ]

    static let document: Value = {
        let errorRef: Value = ["$ref": "#/components/responses/Error"]
        var paths = Value.Object()
        for r in routes {
            var op: Value.Object = ["summary": .string(r.summary), "operationId": .string(operationId(r))]
            let params = r.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { p -> Value in
                ["name": .string(String(p.dropFirst().dropLast())), "in": "path", "required": true,
                 "schema": ["type": p == "{version}" ? "integer" : "string"]]
            }
            var query: [Value] = []
            if r.path.hasSuffix("/runs") && r.method == "get" {
                query = [["name": "pipeline_id", "in": "query", "schema": ["type": "string"]],
                         ["name": "state", "in": "query", "schema": ["type": "string", "enum": ["queued", "running", "succeeded", "succeeded_with_errors", "failed", "cancelled"]]],
                         ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 500]],
                         ["name": "cursor", "in": "query", "schema": ["type": "string"]]]
            }
            if r.path.hasSuffix("/tenants/{tenant}/errors") || r.path.hasSuffix("/error-groups") {
                query = ["run_id", "pipeline_id", "state", "code", "step"].map { name -> Value in
                    ["name": .string(name), "in": "query",
                     "schema": name == "state" ? ["type": "string", "enum": ["open", "resolved", "ignored"]] : ["type": "string"]]
                }
                if r.path.hasSuffix("/errors") {
                    query += [["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 500]],
                              ["name": "cursor", "in": "query", "schema": ["type": "string"]]]
                }
            } else if r.path.hasSuffix("/errors") {
                query = [["name": "format", "in": "query", "schema": ["type": "string", "enum": ["csv", "json"]]],
                         ["name": "offset", "in": "query", "schema": ["type": "integer", "minimum": 0]],
                         ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 1000]]]
            } else if r.path.hasSuffix("/results") {
                query = [["name": "format", "in": "query", "schema": ["type": "string", "enum": ["ndjson", "csv"]]]]
            } else if r.path.hasSuffix("/tests") && r.method == "put" {
                query = [["name": "required", "in": "query", "schema": ["type": "string", "enum": ["true", "false"]]]]
            }
            query += auditAndFileQuery(r)
            if !(params + query).isEmpty { op["parameters"] = .array(params + query) }
            if let body = r.body {
                var types: Value.Object = ["application/json": ["schema": ["type": "object"]]]
                if body == "pipeline document" || body == "test document" { types["application/yaml"] = ["schema": ["type": "string"]] }
                op["requestBody"] = ["required": .bool(r.method == "post" && !r.path.hasSuffix("/runs") || r.method == "put"
                                                       && r.path.hasSuffix("/tests")), "description": .string(body),
                                     "content": .object(types)]
            }
            if r.method == "put" && r.path.hasSuffix("/files/{path}") {
                op["requestBody"] = ["required": false, "description": "the file's bytes",
                                     "content": ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]]]]
            }
            if r.method == "put" && r.path.hasSuffix("/reference-tables/{name}") {
                op["requestBody"] = ["required": true, "description": "the table as CSV (a header row, then rows)",
                                     "content": ["text/csv": ["schema": ["type": "string"]]]]
            }
            var content = Value.Object()
            for type in contentTypes(r) { content[type] = ["schema": type == "application/json" ? ["type": "object"] : ["type": "string"]] }
            var responses: Value.Object = [String(r.success): r.success == 204 ? ["description": "Done"] : ["description": "OK", "content": .object(content)]]
            for code in r.secured || r.body != nil ? ["400", "401", "403", "404", "409", "422"] : [] { responses[code] = errorRef }
            if r.path.hasSuffix("/files/{path}") && r.method == "put" || r.path.hasSuffix("/value")
                || r.path.hasSuffix("/reference-tables/{name}") && r.method == "put" { responses["413"] = errorRef }
            if r.path == "/api/v1/login" || r.path.hasSuffix("/preview") && !r.path.hasSuffix("/schedules/preview") || r.path.hasSuffix("/evaluate")
                || r.path.hasSuffix("/events") || r.path.hasSuffix("/check")
                || r.path.hasSuffix("/discover") { responses["429"] = errorRef }
            op["responses"] = .object(responses)
            if !r.secured { op["security"] = [] }
            var item = paths[r.path]?.objectValue ?? [:]
            item[r.method] = .object(op)
            paths[r.path] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Onramp API", "version": "1"],
            "security": [["bearer": []]],
            "paths": .object(paths),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
                "responses": ["Error": ["description": "An error", "content": ["application/json": ["schema": [
                    "type": "object", "required": ["error"],
                    "properties": ["error": ["type": "object", "required": ["code", "message"],
                                            "properties": ["code": ["type": "string"], "message": ["type": "string"], "field": ["type": "string"]]]],
                ]]]]],
            ],
        ]
    }()

    /// Query parameters of the audit and file routes.
    static func auditAndFileQuery(_ r: Route) -> [Value] {
        guard r.method == "get" else { return [] }
        if r.path.hasSuffix("/audit") {
            let paging: [Value] = [["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 500]],
                                   ["name": "cursor", "in": "query", "schema": ["type": "string"]]]
            return r.path == "/api/v1/audit" ? [["name": "tenant_id", "in": "query", "schema": ["type": "string"]]] + paging : paging
        }
        if r.path.hasSuffix("/files") { return [["name": "prefix", "in": "query", "schema": ["type": "string"]]] }
        return []
    }

    static func contentTypes(_ r: Route) -> [String] {
        if r.path == "/metrics" || r.path.hasSuffix("/logs") { return ["text/plain"] }
        if r.path.hasSuffix("/events") { return ["text/event-stream"] }
        if r.path.hasSuffix("/results") { return ["application/x-ndjson", "text/csv"] }
        if r.path.hasSuffix("/runs/{run}/errors") { return ["text/csv", "application/json"] }
        if r.path.hasSuffix("/runs/{run}/reconciliation") { return ["text/csv"] }
        if r.path.hasSuffix("/files/{path}") && r.method == "get" { return ["application/octet-stream"] }
        if r.path.hasSuffix("/versions/{version}") && r.path.contains("/reference-tables/") { return ["text/csv"] }
        return ["application/json"]
    }

    /// The methods the route table has for a concrete path (`{…}` segments match any one segment), upper case.
    static func methods(forPath path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let matching = routes.filter { r in
            let pattern = r.path.split(separator: "/", omittingEmptySubsequences: false)
            return pattern.count == segments.count && zip(pattern, segments).allSatisfy { p, s in p.hasPrefix("{") ? !s.isEmpty : p == s }
        }
        var methods: [String] = []
        for r in matching where !methods.contains(r.method.uppercased()) { methods.append(r.method.uppercased()) }
        return methods
    }

    static func operationId(_ r: Route) -> String {
        r.method + r.path.split(separator: "/").map { $0.replacingOccurrences(of: "{", with: "by_").replacingOccurrences(of: "}", with: "")
            .replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: ".", with: "_") }.joined(separator: "_")
    }
}
