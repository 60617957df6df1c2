import NIOHTTP1
import OnrampCore

extension HTTPAPISource {
    /// `withDetail` for each record, `detail.concurrency` at a time, in the records' order.
    func withDetails(_ records: [(Value, SourcePosition)]) async throws -> [(Result<Value, RecordError>, SourcePosition)] {
        guard let detail, detail.concurrency > 1, records.count > 1 else {
            var out: [(Result<Value, RecordError>, SourcePosition)] = []
            for (value, position) in records { out.append((try await withDetail(value, position: position), position)) }
            return out
        }
        var results = [Result<Value, RecordError>?](repeating: nil, count: records.count)
        try await withThrowingTaskGroup(of: (Int, Result<Value, RecordError>).self) { group in
            var next = 0
            func launch() {
                let i = next
                next += 1
                group.addTask { (i, try await withDetail(records[i].0, position: records[i].1)) }
            }
            while next < min(detail.concurrency, records.count) { launch() }
            while let (i, r) = try await group.next() {
                results[i] = r
                if next < records.count { launch() }
            }
        }
        return zip(results, records).map { ($0!, $1.1) }
    }

    /// `record` with its detail answer in `detail.into`; a detail URL that cannot be built, a 4xx answer
    /// or a body that is not JSON is that record's error. A 401 or an answer still failing after the
    /// retries fails the run.
    func withDetail(_ record: Value, position: SourcePosition) async throws -> Result<Value, RecordError> {
        guard let detail, case .object(var fields) = record else { return .success(record) }
        func failure(_ code: String, _ message: String) -> Result<Value, RecordError> {
            .failure(RecordError(stage: .extract, position: position, code: code, message: message, value: record))
        }
        let url: String
        do {
            let path = try detail.url.render(record, encoding: .url)
            guard let resolved = HTTPLinks.resolve(path, against: config.url) else {
                return failure("http_api.detail_url", "the detail URL \(path) is not a URL")
            }
            url = resolved
        } catch let e as OnrampError {
            return failure("http_api.detail_url", "detail.url: \(e.message)")
        }
        guard HTTPLinks.sameOrigin(url, config.url) else {
            throw OnrampError("http_api.detail_url", "the detail URL \(url) is on another host than source.config.url; "
                              + "credentials are sent only to the configured host", at: "\(Self.field).detail.url")
        }
        let headers = config.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let answer = try await caller.send(.GET, url, headers: headers, field: "\(Self.field).detail.url")
        if answer.status == 401 || answer.status == 429 || answer.status == 408 || answer.status >= 500 {
            throw statusError(answer)
        }
        guard answer.ok else {
            return failure("http_api.detail_status", "\(answer.status) from \(url)"
                           + (answer.body.isEmpty ? "" : ": \(answer.excerpt)"))
        }
        guard let body = try? JSONParser.parse(answer.body) else {
            return failure("http_api.detail_not_json", "the response from \(url) is not JSON: \(answer.excerpt)")
        }
        do {
            fields[detail.into] = try detail.path.map { try $0.evaluate(body) ?? .null } ?? body
        } catch {
            return failure("http_api.detail_path", "detail.records_path failed on the response from \(url): \(describe(error))")
        }
        return .success(.object(fields))
    }
}
