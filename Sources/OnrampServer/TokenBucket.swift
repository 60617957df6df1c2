import Foundation

/// Requests per key (a tenant) as token buckets: `rate` a second on average, `burst` at once. Pure: every call is
/// given `now`. Buckets that are full again are dropped, so memory follows the keys active in the last `burst/rate` s.
public struct TokenBuckets: Sendable {
    public let rate: Double
    public let burst: Double
    private var buckets: [String: (tokens: Double, at: Date)] = [:]

    public init(rate: Double, burst: Double) {
        self.rate = max(rate, 0.001)
        self.burst = max(burst, 1)
    }

    /// Takes a token for `key`: nil when there was one, else the seconds until there is.
    public mutating func take(_ key: String, now: Date) -> TimeInterval? {
        if buckets.count > 10_000 { sweep(now) }
        var (tokens, at) = buckets[key] ?? (burst, now)
        tokens = min(burst, tokens + max(0, now.timeIntervalSince(at)) * rate)
        guard tokens >= 1 else {
            buckets[key] = (tokens, now)
            return (1 - tokens) / rate
        }
        buckets[key] = (tokens - 1, now)
        return nil
    }

    private mutating func sweep(_ now: Date) {
        buckets = buckets.filter { $0.value.tokens + now.timeIntervalSince($0.value.at) * rate < burst }
    }
}

/// The process's push rate limits, shared by every request.
public actor PushThrottle {
    private var buckets: TokenBuckets

    public init(rate: Double, burst: Double) { buckets = TokenBuckets(rate: rate, burst: burst) }

    public func take(_ tenant: String, now: Date = Date()) -> TimeInterval? { buckets.take(tenant, now: now) }
}
