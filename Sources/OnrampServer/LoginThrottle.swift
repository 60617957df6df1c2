import Foundation

/// The process's login limiter, shared by every request.
public actor LoginThrottle {
    private var limiter: LoginLimiter

    public init(policy: LoginLimiter.Policy = LoginLimiter.Policy()) {
        limiter = LoginLimiter(policy: policy)
    }

    public func retryAfter(_ keys: [LoginLimiter.Key], now: Date = Date()) -> TimeInterval? {
        limiter.retryAfter(keys, now: now)
    }

    public func failed(_ keys: [LoginLimiter.Key], now: Date = Date()) -> TimeInterval? {
        limiter.recordFailure(keys, now: now)
    }

    public func succeeded(account: LoginLimiter.Key) {
        limiter.recordSuccess(account: account)
    }
}
