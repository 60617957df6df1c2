import NIOCore
import NIOHTTP1
import OnrampConnectorKit
import OnrampCore
import OnrampExpression

/// `http_api`: reads a REST API page by page. Records are the objects `records_path` gives on each
/// body; pages follow one of five pagination styles; an optional detail request per record fills a
/// field; incremental runs send the last cursor as an inclusive query parameter (see `IncrementalCursor`).
struct HTTPAPISource: Source {
    enum Paging: Sendable {
        case none
        case page(param: String, start: Int, sizeParam: String?, size: Int?)
        case offset(param: String, limitParam: String, limit: Int)
        case cursor(path: JSONata, param: String)
        case linkHeader
        case nextURL(path: JSONata)
    }

    struct Detail: Sendable {
        let url: HTTPTemplate
        let into: String
        let path: JSONata?
        let concurrency: Int
    }

    let config: HTTPAPIConfig
    let incremental: HTTPAPIIncremental?
    let caller: HTTPCaller
    let recordsPath: JSONata
    let paging: Paging
    let detail: Detail?
    let hint: String

    static let field = "source.config"

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        let cursor = incremental.map {
            IncrementalCursor(cursorField: $0.cursorField, keyField: $0.key, checkpoint: checkpoint, start: $0.start)
        }
        return HTTPAPIReader(source: self, cursor: cursor, batchSize: max(1, batchSize))
    }

    func check() async throws -> ConnectorCheck {
        let url = firstPageURL(cursor: nil)
        let page = try await fetch(url)
        return ConnectorCheck(message: "\(config.method) \(url) answered \(page.answer.status) with "
                              + "\(page.records.count) records on the first page")
    }

    /// The first page's URL: `url`, `query`, the incremental parameter and the first page's parameters.
    func firstPageURL(cursor: String?) -> String {
        switch paging {
        case .page(let param, let start, let sizeParam, let size):
            let sized = size.flatMap { n in sizeParam.map { [($0, String(n))] } } ?? []
            return listURL(cursor: cursor, [(param, String(start))] + sized)
        case .offset(let param, let limitParam, let limit):
            return listURL(cursor: cursor, [(param, "0"), (limitParam, String(limit))])
        case .none, .cursor, .linkHeader, .nextURL:
            return listURL(cursor: cursor, [])
        }
    }

    /// `url` with `query`, the incremental parameter (the run's starting cursor) and `paging` parameters.
    func listURL(cursor: String?, _ paging: [(String, String)]) -> String {
        var params = config.query.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let incremental, let cursor { params.append((incremental.param, cursor)) }
        return HTTPLinks.adding(params + paging, to: config.url)
    }

    struct Page: Sendable {
        var records: [Value]
        var body: Value
        var answer: HTTPAnswer
    }

    /// One page: its records, or an error naming the URL (status, not JSON, records that are not objects).
    func fetch(_ url: String) async throws -> Page {
        var headers = config.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        var body: [UInt8]?
        if config.method == "POST", let text = config.body {
            body = Array(text.utf8)
            headers.append(("Content-Type", "application/json"))
        }
        // A list or search request reads; sending it again is harmless even as a POST.
        let answer = try await caller.send(HTTPMethod(rawValue: config.method), url, headers: headers, body: body,
                                           idempotent: true, field: "\(Self.field).url")
        guard answer.ok else { throw statusError(answer) }
        let parsed = try Self.json(answer)
        let result: Value?
        do { result = try recordsPath.evaluate(parsed) } catch {
            throw OnrampError("http_api.records_path", "records_path failed on the response from \(url): \(describe(error))",
                              at: "\(Self.field).records_path")
        }
        switch result {
        case nil, .null?: return Page(records: [], body: parsed, answer: answer)
        case .object?: return Page(records: [result!], body: parsed, answer: answer)
        case .array(let items)?:
            if let bad = items.firstIndex(where: { $0.objectValue == nil }) {
                throw OnrampError("http_api.records_path", "records_path '\(recordsPath.source)' on the response from "
                                  + "\(url) gave \(items[bad].typeName) at [\(bad)], not an object",
                                  at: "\(Self.field).records_path")
            }
            return Page(records: items, body: parsed, answer: answer)
        case let other?:
            throw OnrampError("http_api.records_path", "records_path '\(recordsPath.source)' on the response from \(url) "
                              + "gave \(other.typeName), not objects", at: "\(Self.field).records_path")
        }
    }

    static func json(_ answer: HTTPAnswer) throws -> Value {
        do { return try JSONParser.parse(answer.body) } catch {
            let type = answer.headers.first(name: "Content-Type") ?? "none"
            throw OnrampError("http_api.not_json", "the response from \(answer.url) is not JSON (Content-Type \(type), "
                              + "\(error)): \(answer.excerpt)", at: "\(field).url")
        }
    }

    /// "401 from https://erp.example/api/orders: check the API key".
    func statusError(_ answer: HTTPAnswer) -> OnrampError {
        let advice: String
        switch answer.status {
        case 401: advice = hint
        case 403: advice = "the credentials are not allowed to read it"
        case 404: advice = "check the URL"
        case 429, 408, 500...: advice = "still failing after \(answer.attempts) attempts"
        case 300..<400: advice = "a redirect (to \(answer.headers.first(name: "Location") ?? "?")), which is not followed"
        default: advice = "the request was refused"
        }
        let code = answer.status == 401 || answer.status == 403 ? "http_api.unauthorized" : "http_api.status"
        let body = answer.body.isEmpty ? "" : " (\(answer.excerpt))"
        return OnrampError(code, "\(answer.status) from \(answer.url): \(advice)\(body)", at: "\(Self.field).url")
    }
}
