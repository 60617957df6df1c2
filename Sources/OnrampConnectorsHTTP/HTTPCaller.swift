import Foundation
import NIOCore
import NIOHTTP1
import OnrampConnectorKit
import OnrampCore

/// A response read whole (up to the body cap).
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var url: String
    var attempts: Int

    var ok: Bool { (200..<300).contains(status) }

    /// The start of the body as text, for messages (500 characters).
    var excerpt: String {
        let text = String(decoding: body.prefix(500), as: UTF8.self)
        return body.count > 500 ? text + "…" : text
    }
}

/// Sends one request with the connector's policy: egress checked first, credentials applied, 429/408/5xx
/// and connection errors retried with backoff (`Retry-After` in seconds or as an HTTP date, else
/// `X-RateLimit-Reset`), one retry with a fresh OAuth2 token after a 401, a pause when
/// `X-RateLimit-Remaining` reaches 0, the body capped and read under the same timeout as the head.
/// A request that is not idempotent is sent again only when the server cannot have acted on it (`deferred`,
/// `neverSent`). Non-retried and exhausted statuses are returned; only a connection that never answered throws.
struct HTTPCaller: Sendable {
    /// The host's client (`ConnectorResources.http()`): it checks the egress policy on every attempt.
    var client: any ConnectorHTTPClient
    var policy: RetryPolicy
    var clock: ConnectorClock
    var auth: HTTPAuth?
    var maxBytes: Int
    var timeout: Duration
    /// The longest pause `X-RateLimit-Reset` may ask for.
    var maxRateLimitWaitSeconds: Double = 900

    /// `idempotent` (default: by the method, RFC 9110 §9.2.2) says whether a repeat is harmless.
    func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
              idempotent: Bool? = nil, field: String) async throws -> HTTPAnswer {
        let repeatable = idempotent ?? Self.idempotentMethods.contains(method)
        var attempt = 0
        var refreshed = false
        while true {
            attempt += 1
            try Task.checkCancellation()
            var outgoing = HTTPHeaders(headers)
            if outgoing["Accept"].isEmpty { outgoing.add(name: "Accept", value: "application/json") }
            try await auth?.authorize(&outgoing)
            let request = ConnectorHTTPRequest(method: method.rawValue, url: auth?.requestURL(url) ?? url,
                                               headers: outgoing.map { ($0.name, $0.value) }, body: body,
                                               timeout: timeout, maxResponseBytes: maxBytes)
            let failure: RetryPolicy.Failure
            var last: HTTPAnswer?
            var transportError: ConnectorHTTPFailure?
            do {
                let response = try await client.send(request, field: field)
                let answer = HTTPAnswer(status: response.status, headers: HTTPHeaders(response.headers.map { ($0.name, $0.value) }),
                                        body: response.body, url: url, attempts: attempt)
                if answer.status == 401, !refreshed, await auth?.invalidate() == true {
                    refreshed = true
                    attempt -= 1
                    continue
                }
                guard answer.status == 429 || answer.status == 408 || answer.status >= 500 else {
                    try await pauseForRateLimit(answer.headers)
                    return answer
                }
                last = answer
                failure = .status(answer.status, retryAfterSeconds: Self.retryAfter(answer.headers, now: clock.now()))
            } catch let e as OnrampError where e.code == "http.too_large" {
                throw OnrampError(e.code, e.message + " (max_response_mib)", at: field)
            } catch let e as ConnectorHTTPFailure {
                failure = e.kind == .timeout ? .timeout : .transport
                transportError = e
            }
            let allowed = repeatable || transportError?.kind == .notSent || last.map(Self.deferred) == true
            let decision = policy.decide(attempt: attempt, failure: failure, jitter: Double.random(in: 0..<1))
            switch decision {
            case .retry(let seconds) where allowed:
                try await clock.sleep(.milliseconds(Int64(seconds * 1000)))
            case .retry, .giveUp:
                if let last { return last }
                let why = transportError?.message ?? "no answer"
                let unsafe = decision != .giveUp
                    ? "; not sent again, since the server may have acted on it (a \(method.rawValue) is not idempotent; "
                        + "an idempotency_header allows retries)" : ""
                throw OnrampError("http.unreachable", "\(method.rawValue) \(url) failed after \(attempt) "
                                  + "attempt\(attempt == 1 ? "" : "s"): \(why)\(unsafe)", at: field)
            }
        }
    }

    static let idempotentMethods: [HTTPMethod] = [.GET, .HEAD, .OPTIONS, .TRACE, .PUT, .DELETE]

    /// A 429 or 503 with `Retry-After`: the server refused the request for now, without acting on it.
    static func deferred(_ answer: HTTPAnswer) -> Bool {
        (answer.status == 429 || answer.status == 503) && !answer.headers["Retry-After"].isEmpty
    }

    /// Waits until the rate-limit window resets when the server says none is left.
    func pauseForRateLimit(_ headers: HTTPHeaders) async throws {
        guard let remaining = headers.first(name: "X-RateLimit-Remaining").flatMap(Double.init), remaining <= 0,
              let reset = Self.rateLimitReset(headers, now: clock.now()), reset > 0 else { return }
        try await clock.sleep(.milliseconds(Int64(min(reset, maxRateLimitWaitSeconds) * 1000)))
    }

    /// Seconds to wait from `Retry-After` (seconds or an HTTP date), else from `X-RateLimit-Reset`.
    static func retryAfter(_ headers: HTTPHeaders, now: Date = Date()) -> Double? {
        if let text = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(text) { return max(0, seconds) }
            if let date = httpDate(text) { return max(0, date.timeIntervalSince(now)) }
        }
        return rateLimitReset(headers, now: now)
    }

    /// `X-RateLimit-Reset` as seconds from now: a value above 10⁹ is a Unix time, anything else a delay.
    static func rateLimitReset(_ headers: HTTPHeaders, now: Date = Date()) -> Double? {
        guard let reset = headers.first(name: "X-RateLimit-Reset").flatMap(Double.init) else { return nil }
        return reset > 1_000_000_000 ? max(0, reset - now.timeIntervalSince1970) : max(0, reset)
    }

    /// An IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`).
    static func httpDate(_ text: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: text)
    }
}
