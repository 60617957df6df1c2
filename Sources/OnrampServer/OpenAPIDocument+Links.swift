import OnrampCore

/// OpenAPI `links`: from what an operation creates to the operations that read or change it, so clients (and
/// schemathesis' stateful phase) can follow a created resource to its nested routes.
extension OpenAPIDocument {
    /// (from "method path", to "method path", parameter -> runtime expression)
    static let linkTable: [(String, String, [String: String])] = {
        let t = "/api/v1/tenants/{tenant}"
        let inTenant = ["tenant": "$request.path.tenant"]
        let created = ["tenant": "$response.body#/id"]
        func with(_ more: [String: String]) -> [String: String] { inTenant.merging(more) { a, _ in a } }
        let pipeline = with(["pipeline": "$response.body#/id"])
        let version = with(["pipeline": "$response.body#/id", "version": "$response.body#/version"])
        let run = with(["run": "$response.body#/id"])
        var table: [(String, String, [String: String])] = []
        // A created tenant: every operation whose only path parameter is the tenant.
        for r in routes where r.path.hasPrefix(t) && r.path.split(separator: "/").filter({ $0.hasPrefix("{") }).count == 1 {
            table.append(("post /api/v1/tenants", "\(r.method) \(r.path)", created))
        }
        table.append(("post \(t)/users", "get \(t)/users/{user}", with(["user": "$response.body#/id"])))
        for m in ["get", "delete"] { table.append(("post \(t)/api-keys", "\(m) \(t)/api-keys/{key}", with(["key": "$response.body#/id"]))) }
        for from in ["post \(t)/pipelines", "post \(t)/templates/{template}/pipelines"] {
            for to in ["get \(t)/pipelines/{pipeline}", "get \(t)/pipelines/{pipeline}/versions", "post \(t)/pipelines/{pipeline}/runs",
                       "post \(t)/pipelines/{pipeline}/schedules", "delete \(t)/pipelines/{pipeline}"] {
                table.append((from, to, pipeline))
            }
            for to in ["get \(t)/pipelines/{pipeline}/versions/{version}", "get \(t)/pipelines/{pipeline}/versions/{version}/tests",
                       "put \(t)/pipelines/{pipeline}/versions/{version}/tests"] {
                table.append((from, to, version))
            }
        }
        for from in ["post \(t)/pipelines/{pipeline}/runs", "post \(t)/errors/replay"] {
            for to in ["get \(t)/runs/{run}", "post \(t)/runs/{run}/cancel", "get \(t)/runs/{run}/results",
                       "get \(t)/runs/{run}/errors", "get \(t)/runs/{run}/logs", "get \(t)/runs/{run}/reconciliation"] {
                table.append((from, to, run))
            }
        }
        for m in ["get", "patch", "delete"] {
            table.append(("post \(t)/pipelines/{pipeline}/schedules", "\(m) \(t)/schedules/{schedule}",
                          with(["schedule": "$response.body#/id"])))
        }
        let name = with(["name": "$request.path.name"])
        for to in ["get \(t)/connections/{name}", "post \(t)/connections/{name}/check", "post \(t)/connections/{name}/discover",
                   "delete \(t)/connections/{name}"] {
            table.append(("put \(t)/connections/{name}", to, name))
        }
        table.append(("put \(t)/secrets/{name}", "delete \(t)/secrets/{name}", name))
        for to in ["get /api/v1/templates/{template}"] {
            table.append(("put /api/v1/templates/{template}", to, ["template": "$request.path.template"]))
        }
        for m in ["get", "delete"] {
            table.append(("put \(t)/files/{path}", "\(m) \(t)/files/{path}", with(["path": "$request.path.path"])))
        }
        table.append(("put \(t)/reference-tables/{name}", "get \(t)/reference-tables/{name}", name))
        table.append(("put \(t)/reference-tables/{name}", "get \(t)/reference-tables/{name}/versions/{version}",
                      with(["name": "$request.path.name", "version": "$response.body#/version"])))
        return table
    }()

    /// The `links` of each operation's success answer, by its operationId.
    static let links: [String: Value.Object] = {
        var byOperation: [String: Route] = [:]
        for r in routes { byOperation["\(r.method) \(r.path)"] = r }
        var out: [String: Value.Object] = [:]
        for (from, to, parameters) in linkTable {
            guard let source = byOperation[from], let target = byOperation[to] else { continue }
            let id = operationId(target)
            out[operationId(source), default: [:]][id] = [
                "operationId": .string(id),
                "parameters": .object(Value.Object(uniqueKeysWithValues: parameters.map { ($0.key, .string($0.value)) })),
            ]
        }
        return out
    }()
}
