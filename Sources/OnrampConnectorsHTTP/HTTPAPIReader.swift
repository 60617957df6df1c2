import OnrampConnectorKit
import OnrampCore
import OnrampExpression

/// Reads `http_api` pages one at a time and hands their records out in batches. A page's checkpoint
/// goes with its last batch, so a committed checkpoint never covers a record not yet acknowledged.
struct HTTPAPIReader: BatchReader {
    let source: HTTPAPISource
    var cursor: IncrementalCursor?
    let batchSize: Int
    /// The cursor sent with every page of this run (pages must not shift while the state advances).
    let runCursor: String?
    var nextURL: String?
    var pageNumber: Int
    var offset = 0
    /// Every URL asked for and cursor token given in this read: a next page naming one again is a loop.
    var requested: Set<String> = []
    var tokens: Set<String> = []
    /// A hash of every page body read, with its page number: a server that ignores the page parameter
    /// answers a page already read.
    var bodies: [Int: Int] = [:]
    var pages = 0
    var pending: [Record] = []
    var pendingErrors: [RecordError] = []

    init(source: HTTPAPISource, cursor: IncrementalCursor?, batchSize: Int) {
        self.source = source
        self.cursor = cursor
        self.batchSize = batchSize
        runCursor = cursor?.parameter
        nextURL = source.firstPageURL(cursor: runCursor)
        if case .page(_, let start, _, _) = source.paging { pageNumber = start } else { pageNumber = 0 }
    }

    mutating func next() async throws -> SourceBatch? {
        try Task.checkCancellation()
        while pending.isEmpty && pendingErrors.isEmpty {
            guard let url = nextURL else { return nil }
            try await read(url)
            if pending.isEmpty && pendingErrors.isEmpty, cursor != nil {
                return SourceBatch(checkpoint: cursor?.takeCheckpoint())
            }
        }
        let n = min(batchSize, pending.count)
        var batch = SourceBatch(records: Array(pending.prefix(n)), errors: pendingErrors)
        pending.removeFirst(n)
        pendingErrors = []
        if pending.isEmpty { batch.checkpoint = cursor?.takeCheckpoint() }
        return batch
    }

    mutating func read(_ url: String) async throws {
        pages += 1
        let max = source.config.pagination?.maxPages ?? HTTPAPIConfig.defaultMaxPages
        if pages > max {
            throw OnrampError("http_api.max_pages", "\(source.config.url) gave more than \(max) pages: raise "
                              + "pagination.max_pages if the API holds more, else check the pagination settings",
                              at: "\(HTTPAPISource.field).pagination.max_pages")
        }
        requested.insert(url)
        let page = try await source.fetch(url)
        if !page.records.isEmpty {
            var hasher = Hasher()
            page.answer.body.withUnsafeBytes { hasher.combine(bytes: $0) }
            let hash = hasher.finalize()
            if let earlier = bodies[hash] {
                throw OnrampError("http_api.pagination_loop", "\(url) answered the same page as page \(earlier); "
                                  + "the API seems to ignore the pagination parameters: check the pagination settings",
                                  at: "\(HTTPAPISource.field).pagination")
            }
            bodies[hash] = pages
        }
        var kept: [(Value, SourcePosition)] = []
        for (i, value) in page.records.enumerated() {
            let key = cursor.flatMap { IncrementalCursor.lookup(value, $0.keyField)?.scalarText }
            let position = SourcePosition(file: url, key: key ?? "[\(i)]")
            if var c = cursor {
                switch try c.admit(value, from: url) {
                case .failure(let e):
                    pendingErrors.append(RecordError(stage: .extract, position: position, code: e.code, message: e.message,
                                                     value: value))
                    continue
                case .success(.skip):
                    continue
                case .success(.keep):
                    cursor = c
                }
            }
            kept.append((value, position))
        }
        for (result, position) in try await source.withDetails(kept) {
            switch result {
            case .success(let full): pending.append(Record(full, position: position))
            case .failure(let error): pendingErrors.append(error)
            }
        }
        nextURL = try following(page, url)
    }

    /// The next page's URL, or nil after the last page.
    mutating func following(_ page: HTTPAPISource.Page, _ url: String) throws -> String? {
        guard !page.records.isEmpty else { return nil }
        switch source.paging {
        case .none:
            return nil
        case .page(let param, _, let sizeParam, let size):
            pageNumber += 1
            let sized = size.flatMap { n in sizeParam.map { [($0, String(n))] } } ?? []
            return source.listURL(cursor: runCursor, [(param, String(pageNumber))] + sized)
        case .offset(let param, let limitParam, let limit):
            offset += page.records.count
            return source.listURL(cursor: runCursor, [(param, String(offset)), (limitParam, String(limit))])
        case .cursor(let path, let param):
            guard let token = try evaluate(path, page, field: "cursor_path") else { return nil }
            guard tokens.insert(token).inserted else {
                throw OnrampError("http_api.pagination_loop", "\(url) gave the cursor \(token), which an earlier page "
                                  + "gave: the pages would loop", at: "\(HTTPAPISource.field).pagination.cursor_path")
            }
            return source.listURL(cursor: runCursor, [(param, token)])
        case .linkHeader:
            let header = page.answer.headers["Link"].joined(separator: ", ")
            guard let target = HTTPLinks.next(inLinkHeader: header) else { return nil }
            return try checkedNext(target, from: url, field: "pagination.type")
        case .nextURL(let path):
            guard let target = try evaluate(path, page, field: "next_url_path") else { return nil }
            return try checkedNext(target, from: url, field: "pagination.next_url_path")
        }
    }

    private func evaluate(_ path: JSONata, _ page: HTTPAPISource.Page, field: String) throws -> String? {
        let result: Value?
        do { result = try path.evaluate(page.body) } catch {
            throw OnrampError("http_api.pagination", "\(field) failed on the response from \(page.answer.url): "
                              + "\(describe(error))", at: "\(HTTPAPISource.field).pagination.\(field)")
        }
        guard let text = result?.scalarText, !text.isEmpty else { return nil }
        return text
    }

    /// A next-page URL from the server, resolved and kept on the configured origin (credentials go nowhere else).
    private func checkedNext(_ target: String, from url: String, field: String) throws -> String {
        guard let next = HTTPLinks.resolve(target, against: url) else {
            throw OnrampError("http_api.next_url", "\(url) gave a next page that is not a URL: \(target)",
                              at: "\(HTTPAPISource.field).\(field)")
        }
        guard HTTPLinks.sameOrigin(next, source.config.url) else {
            throw OnrampError("http_api.next_url", "\(url) points the next page to \(next), another host than "
                              + "source.config.url; credentials are sent only to the configured host",
                              at: "\(HTTPAPISource.field).\(field)")
        }
        guard !requested.contains(next) else {
            let what = next == url ? "itself" : "\(next), a page already read,"
            throw OnrampError("http_api.pagination_loop", "\(url) gives \(what) as the next page: the pages would loop",
                              at: "\(HTTPAPISource.field).\(field)")
        }
        return next
    }
}
