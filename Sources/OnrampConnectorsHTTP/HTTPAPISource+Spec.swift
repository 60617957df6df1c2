import NIOCore
import OnrampConnectorKit
import OnrampCore
import OnrampExpression

extension HTTPAPISource {
    static let spec = SourceSpec(
        name: "http_api",
        summary: "Reads a REST API: records at a JSONata path, five pagination styles, basic/bearer/API key/OAuth2 "
            + "auth, rate limits and retries, incremental by an updated-since parameter, per-record detail requests.",
        configSchema: HTTPAPIConfig.schema, incrementalSchema: HTTPAPIConfig.incrementalSchema,
        config: HTTPAPIConfig.self
    ) { config, incremental, resources in
        let inc = try incremental.map {
            try ConnectorConfig.decode(HTTPAPIIncremental.self, from: $0, at: "source.incremental")
        }
        return try HTTPAPISource(config: config, incremental: inc, resources: resources)
    }

    init(config: HTTPAPIConfig, incremental: HTTPAPIIncremental?, resources: ConnectorResources) throws {
        let f = Self.field
        guard config.url.hasPrefix("http://") || config.url.hasPrefix("https://") else {
            throw OnrampError("config.invalid", "must be an http:// or https:// URL", at: "\(f).url")
        }
        func compile(_ text: String, _ field: String) throws -> JSONata {
            do { return try JSONata(text) } catch {
                throw OnrampError("config.expression", "\(describe(error)) in '\(text)'", at: "\(f).\(field)")
            }
        }
        if config.method == "POST", let body = config.body, (try? JSONParser.parse(body)) == nil {
            throw OnrampError("config.invalid", "must be JSON text", at: "\(f).body")
        }
        let policy = RetryPolicy(maxAttempts: config.maxAttempts, baseDelaySeconds: 0.5, maxDelaySeconds: 60)
        var caller = HTTPCaller(client: try resources.http(), policy: policy, clock: resources.clock, auth: nil,
                                maxBytes: config.maxResponseMib << 20,
                                timeout: .milliseconds(Int64(config.timeoutSeconds * 1000)))
        let auth = try HTTPAuth(config.auth ?? .none, at: "\(f).auth", caller: caller)
        caller.auth = auth
        let paging: Paging
        switch config.pagination?.type ?? "none" {
        case "page":
            let p = config.pagination!
            paging = .page(param: p.pageParam, start: p.startPage, sizeParam: p.pageSizeParam, size: p.pageSize)
        case "offset":
            let p = config.pagination!
            paging = .offset(param: p.offsetParam, limitParam: p.limitParam, limit: p.limit)
        case "cursor":
            guard let path = config.pagination?.cursorPath else {
                throw OnrampError("config.missing", "cursor pagination needs cursor_path", at: "\(f).pagination.cursor_path")
            }
            paging = .cursor(path: try compile(path, "pagination.cursor_path"), param: config.pagination!.cursorParam)
        case "link_header":
            paging = .linkHeader
        case "next_url":
            guard let path = config.pagination?.nextUrlPath else {
                throw OnrampError("config.missing", "next_url pagination needs next_url_path",
                                  at: "\(f).pagination.next_url_path")
            }
            paging = .nextURL(path: try compile(path, "pagination.next_url_path"))
        default:
            paging = .none
        }
        let detail = try config.detail.map { d in
            Detail(url: try HTTPTemplate(d.url, field: "\(f).detail.url"), into: d.into,
                   path: try d.recordsPath.map { try compile($0, "detail.records_path") }, concurrency: d.concurrency)
        }
        self.init(config: config, incremental: incremental, caller: caller,
                  recordsPath: try compile(config.recordsPath, "records_path"), paging: paging, detail: detail,
                  hint: auth.hint)
    }
}
