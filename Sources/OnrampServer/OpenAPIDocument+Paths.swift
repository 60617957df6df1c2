import OnrampCore

/// The document itself, generated from the route table, the schemas and the links.
extension OpenAPIDocument {
    static let document: Value = {
        var paths = Value.Object()
        for r in routes {
            var item = paths[r.path]?.objectValue ?? [:]
            item[r.method] = .object(operation(r))
            paths[r.path] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Onramp API", "version": "1",
                     "description": .string("Errors are `{\"error\": {code, message, field}}` (codes: docs/api.md). "
                        + "Lists page with `limit` and `cursor`; a page's `next_cursor` is null on the last page.")],
            "security": [["bearer": []]],
            "paths": .object(paths),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
                "schemas": .object(schemas),
                "parameters": [
                    "Limit": ["name": "limit", "in": "query", "description": .string("Items per page (default: 50 for "
                                + "runs and errors, 100 for the audit log, 500 for the other lists)"),
                              "schema": ["type": "integer", "minimum": 1, "maximum": 500]],
                    "Cursor": ["name": "cursor", "in": "query", "description": "The previous page's next_cursor",
                               "schema": ["type": "string"]],
                ],
                "responses": ["Error": ["description": "An error", "content": ["application/json": [
                    "schema": SchemaBuilder.ref("Error")]]]],
            ],
        ]
    }()

    static func operation(_ r: Route) -> Value.Object {
        let errorRef: Value = ["$ref": "#/components/responses/Error"]
        var op: Value.Object = ["summary": .string(r.summary), "operationId": .string(operationId(r))]
        let params = r.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { p -> Value in
            ["name": .string(String(p.dropFirst().dropLast())), "in": "path", "required": true,
             "schema": pathSchema(String(p), in: r.path)]
        }
        var query = queryParameters(r)
        if isPaged(r) { query += [["$ref": "#/components/parameters/Limit"], ["$ref": "#/components/parameters/Cursor"]] }
        if !(params + query).isEmpty { op["parameters"] = .array(params + query) }
        if let body = r.body { op["requestBody"] = requestBody(r, description: body) }
        var content = Value.Object()
        for type in contentTypes(r) {
            content[type] = ["schema": type == "application/json" ? r.response ?? SchemaBuilder.openObject : ["type": "string"]]
        }
        var success: Value.Object = ["description": r.success == 204 ? "Done" : "OK"]
        if r.success != 204 { success["content"] = .object(content) }
        if let links = links[operationId(r)] { success["links"] = .object(links) }
        var responses: Value.Object = [String(r.success): .object(success)]
        for status in r.alsoSuccess { responses[String(status)] = .object(success) }
        for code in errorStatuses(r) { responses[String(code)] = errorRef }
        if r.path == "/readyz" {
            responses["503"] = ["description": "Draining", "content": ["application/json": ["schema": SchemaBuilder.ref("Status")]]]
        }
        op["responses"] = .object(responses)
        if !r.secured { op["security"] = [] }
        return op
    }

    /// A path parameter's schema: the names the handlers accept (tenants, connections, templates, secrets, tables).
    static func pathSchema(_ parameter: String, in path: String) -> Value {
        let slug = "^[a-z0-9][a-z0-9-]{0,62}$"
        switch parameter {
        case "{version}": return ["type": "integer", "minimum": 1]
        case "{batch}": return ["type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"]
        case "{tenant}", "{template}": return ["type": "string", "pattern": .string(slug)]
        case "{name}" where path.contains("/connections/"): return ["type": "string", "pattern": .string(slug)]
        case "{name}" where path.contains("/secrets/"):
            return ["type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"]
        case "{name}" where path.contains("/reference-tables/"):
            return ["type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,62}$"]
        default: return ["type": "string", "minLength": 1]
        }
    }

    /// The statuses a route may answer with the error envelope.
    static func errorStatuses(_ r: Route) -> [Int] {
        var codes: [Int] = []
        if r.secured || r.body != nil { codes += [400, 401, 403, 404, 409, 422, 500] }
        if r.body != nil || r.path.hasSuffix("/files/{path}") && r.method == "put" { codes.append(413) }
        if r.path == "/api/v1/login" || r.path == "/api/v1/me/password" || r.path.hasSuffix("/preview") && !r.path.hasSuffix("/schedules/preview")
            || r.path.hasSuffix("/evaluate") || r.path.hasSuffix("/events") || r.path.hasSuffix("/check")
            || r.path.hasSuffix("/discover") || r.path.hasSuffix("/tests/run") { codes.append(429) }
        if r.path == "/api/v1/push/batches/{batch}" && r.method == "put" || r.path == "/api/v1/push/uploads/{batch}"
            && r.method == "patch" { codes += [413, 429, 503] }
        if r.path == "/api/v1/agent/heartbeat" { codes.append(429) }
        if r.path == "/metrics" { codes += [401, 404] }
        return Array(Set(codes)).sorted()
    }

    /// A list that pages: its answer has `next_cursor`.
    static func isPaged(_ r: Route) -> Bool {
        guard r.method == "get", let name = r.response?["$ref"]?.stringValue?.split(separator: "/").last else { return false }
        return schemas[String(name)]?["properties"]?["next_cursor"] != nil
    }

    static func requestBody(_ r: Route, description: String) -> Value {
        var types: Value.Object = ["application/json": ["schema": r.request ?? SchemaBuilder.openObject]]
        if description == "pipeline document" || description == "test document" {
            types["application/yaml"] = ["schema": ["type": "string"]]
        }
        if r.method == "put" && r.path.hasSuffix("/files/{path}") {
            types = ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]]]
        }
        if (r.method == "put" || r.method == "patch") && r.path.hasPrefix("/api/v1/push/") {
            types = ["application/x-ndjson": ["schema": ["type": "string"]],
                     "application/octet-stream": ["schema": ["type": "string", "format": "binary"]]]
        }
        if r.method == "put" && r.path.hasSuffix("/reference-tables/{name}") {
            types = ["text/csv": ["schema": ["type": "string"]]]
        }
        let required = r.method == "post" && !r.path.hasSuffix("/runs") || r.method == "put" && !r.path.hasSuffix("/files/{path}")
        return ["required": .bool(required), "description": .string(description), "content": .object(types)]
    }

    static func queryParameters(_ r: Route) -> [Value] {
        func q(_ name: String, _ schema: Value) -> Value { ["name": .string(name), "in": "query", "schema": schema] }
        let text: Value = ["type": "string"]
        if r.path == "/api/v1/agent/heartbeat" { return [q("wait", ["type": "integer", "minimum": 0, "maximum": 55])] }
        if r.path == "/api/v1/push/uploads/{batch}" && r.method == "patch" {
            func header(_ name: String, _ schema: Value, required: Bool) -> Value {
                ["name": .string(name), "in": "header", "required": .bool(required), "schema": schema]
            }
            let bytes: Value = ["type": "integer", "minimum": 0]
            return [header("Upload-Offset", bytes, required: true), header("Upload-Length", bytes, required: false),
                    header("Upload-Checksum", ["type": "string", "pattern": "^sha256=[0-9a-fA-F]{64}$"], required: false)]
        }
        guard r.method == "get" || r.path.hasSuffix("/tests") else { return [] }
        if r.path.hasSuffix("/tenants/{tenant}/runs") {
            let time: Value = ["type": "string", "format": "date-time"]
            return [q("pipeline_id", text), q("state", SchemaBuilder.ref("RunState")), q("created_from", time),
                    q("created_before", time)]
        }
        if r.path.hasSuffix("/tenants/{tenant}/errors") || r.path.hasSuffix("/error-groups") {
            return ["run_id", "pipeline_id", "state", "code", "step", "search"].map {
                q($0, $0 == "state" ? SchemaBuilder.enumeration(errorStates) : text)
            }
        }
        if r.path.hasSuffix("/runs/{run}/errors") {
            return [q("format", SchemaBuilder.enumeration(["csv", "json"])), q("offset", ["type": "integer", "minimum": 0]),
                    q("limit", ["type": "integer", "minimum": 1, "maximum": 1000])]
        }
        if r.path.hasSuffix("/results") { return [q("format", SchemaBuilder.enumeration(["ndjson", "csv"]))] }
        if r.path.hasSuffix("/tests") && r.method == "put" { return [q("required", SchemaBuilder.enumeration(["true", "false"]))] }
        if r.path == "/api/v1/audit" { return [q("tenant_id", text)] }
        if r.path.hasSuffix("/files") { return [q("prefix", text)] }
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

    /// The route a concrete request path and method match: literal segments before `{…}` ones; `{path}` (files)
    /// takes the rest of the path.
    static func route(method: String, path: String) -> Route? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var best: (Route, Int)?
        for r in routes where r.method == method.lowercased() {
            let pattern = r.path.split(separator: "/", omittingEmptySubsequences: false)
            var literal = 0
            var matches = true
            for (i, p) in pattern.enumerated() {
                if p == "{path}" {
                    matches = segments.count > i && segments[i...].allSatisfy { !$0.isEmpty } && i == pattern.count - 1
                    break
                }
                guard i < segments.count, i < pattern.count, p.hasPrefix("{") ? !segments[i].isEmpty : p == segments[i] else {
                    matches = false
                    break
                }
                if !p.hasPrefix("{") { literal += 1 }
                if i == pattern.count - 1 && segments.count != pattern.count { matches = false }
            }
            if matches, literal > best?.1 ?? -1 { best = (r, literal) }
        }
        return best?.0
    }

    /// The methods the route table has for a concrete path (`{…}` segments match any one segment), upper case.
    static func methods(forPath path: String) -> [String] {
        var methods: [String] = []
        for m in ["get", "post", "put", "patch", "delete"] where route(method: m, path: path) != nil {
            methods.append(m.uppercased())
        }
        return methods
    }

    static func operationId(_ r: Route) -> String {
        r.method + r.path.split(separator: "/").map {
            $0.replacingOccurrences(of: "{", with: "by_").replacingOccurrences(of: "}", with: "")
                .replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: ".", with: "_")
        }.joined(separator: "_")
    }
}
