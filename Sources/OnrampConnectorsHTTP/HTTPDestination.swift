import AsyncHTTPClient
import NIOHTTP1
import OnrampConnectorKit
import OnrampCore
import OnrampExpression

/// `http`: sends records to any JSON API, one request per record or per batch, method, URL and headers
/// templated from the record. A non-2xx answer is a load error for the records it carried (the others
/// are still sent); a 401 or an API that cannot be reached fails the run.
struct HTTPDestination: Destination {
    let config: HTTPDestinationConfig
    let method: HTTPTemplate
    let url: HTTPTemplate
    let headers: [(String, HTTPTemplate)]
    let body: JSONata
    let idempotency: (name: String, value: JSONata)?
    let result: JSONata?
    let caller: HTTPCaller
    let hint: String

    static let field = "destination.config"

    func write(_ records: [Record]) async throws -> [RecordOutcome] {
        let size = config.batchSize
        let chunks = stride(from: 0, to: records.count, by: size).map { Array(records[$0..<min($0 + size, records.count)]) }
        var outcomes = [[RecordOutcome]](repeating: [], count: chunks.count)
        try await withThrowingTaskGroup(of: (Int, [RecordOutcome]).self) { group in
            var next = 0
            func launch() {
                let i = next
                next += 1
                group.addTask { (i, try await send(chunks[i])) }
            }
            while next < min(config.concurrency, chunks.count) { launch() }
            while let (i, o) = try await group.next() {
                outcomes[i] = o
                if next < chunks.count { launch() }
            }
        }
        return outcomes.flatMap { $0 }
    }

    func check() async throws -> ConnectorCheck {
        if case .oauth2(let cache) = caller.auth?.kind { _ = try await cache.token() }
        return ConnectorCheck(message: "the templates compile; \(config.method) \(config.url)")
    }

    /// One request for `records`: their outcomes.
    private func send(_ records: [Record]) async throws -> [RecordOutcome] {
        let input: Value = config.batchSize == 1 ? records[0].value : .array(records.map(\.value))
        func failed(_ code: String, _ message: String) -> [RecordOutcome] {
            records.map { _ in .failed(code: code, message: message) }
        }
        let request: (method: String, url: String, headers: [(String, String)], body: [UInt8])
        do { request = try build(input) } catch let e as OnrampError { return failed(e.code, e.message) }
        let answer: HTTPAnswer
        let method = HTTPMethod(rawValue: request.method)
        // With an idempotency header the API drops a repeat, so any method may be retried.
        let repeatable = idempotency != nil || HTTPCaller.idempotentMethods.contains(method)
        do {
            answer = try await caller.send(method, request.url, headers: request.headers, body: request.body,
                                           idempotent: repeatable, field: "\(Self.field).url")
        } catch let e as OnrampError where e.code.hasPrefix("egress.") {
            return failed(e.code, "\(request.url): \(e.message)")
        }
        if answer.status == 401 {
            throw OnrampError("http.unauthorized", "401 from \(request.url): \(hint)", at: "\(Self.field).auth")
        }
        guard answer.ok else {
            let body = answer.body.isEmpty ? "" : ": \(answer.excerpt)"
            let retryable = answer.status == 429 || answer.status == 408 || answer.status >= 500
            let unsent = retryable && !repeatable && answer.attempts == 1 && config.maxAttempts > 1
                && !HTTPCaller.deferred(answer)
                ? " (not sent again: a \(request.method) without idempotency_header may have been applied)" : ""
            return failed("http.status_\(answer.status)", "\(request.method) \(request.url) answered \(answer.status)"
                          + (answer.attempts > 1 ? " after \(answer.attempts) attempts" : "") + unsent + body)
        }
        let parsed = answer.body.isEmpty ? nil : try? JSONParser.parse(answer.body)
        let projected: Value?
        if let result {
            let status: Value = .number(Double(answer.status))
            do { projected = try result.evaluate(parsed ?? .null, bindings: ["status": status]) } catch {
                return failed("http.result", "result failed on the response from \(request.url): \(describe(error))")
            }
        } else {
            projected = parsed
        }
        if records.count > 1, case .array(let items)? = projected, items.count == records.count {
            return items.map { .ok(result: $0) }
        }
        return records.map { _ in .ok(result: projected) }
    }

    private func build(_ input: Value) throws -> (method: String, url: String, headers: [(String, String)], body: [UInt8]) {
        let method = try named("method") { try self.method.render(input, encoding: .header) }.uppercased()
        guard !method.isEmpty, method.allSatisfy({ $0.isLetter && $0.isASCII }) else {
            throw OnrampError("http.template", "method: \"\(method)\" is not an HTTP method")
        }
        let url = try named("url") { try self.url.render(input, encoding: .url) }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw OnrampError("http.template", "url: \(url) is not an http:// or https:// URL")
        }
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        for (name, template) in self.headers {
            headers.append((name, try named("headers.\(name)") { try template.render(input, encoding: .header) }))
        }
        if let idempotency {
            let value = try named("idempotency_header.value") { () throws -> String in
                guard let v = try idempotency.value.evaluate(input)?.scalarText, !v.isEmpty,
                      !v.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                    throw OnrampError("http.template", "gave no text for the \(idempotency.name) header")
                }
                return v
            }
            headers.append((idempotency.name, value))
        }
        let body = try named("body") { () throws -> Value in
            guard let v = try self.body.evaluate(input) else { throw OnrampError("http.template", "gave nothing to send") }
            return v
        }
        return (method, url, headers, Array(JSONWriter.string(body).utf8))
    }

    /// Runs `work`, prefixing errors with the config field they come from.
    private func named<T>(_ field: String, _ work: () throws -> T) throws -> T {
        do { return try work() } catch let e as OnrampError {
            throw OnrampError(e.code, "\(field): \(e.message)")
        } catch let e as JSONataError {
            throw OnrampError("http.template", "\(field): \(e.message)")
        }
    }
}
