/// When to retry a request and how long to wait: exponential backoff with full jitter, honouring
/// `Retry-After`. Pure: the caller supplies the randomness, so it is tested with no clock or socket.
public struct RetryPolicy: Sendable {
    public enum Failure: Sendable, Equatable {
        case status(Int, retryAfterSeconds: Double?)
        case transport
        case timeout
    }

    public enum Decision: Sendable, Equatable {
        case retry(afterSeconds: Double)
        case giveUp
    }

    public var maxAttempts: Int
    public var baseDelaySeconds: Double
    public var maxDelaySeconds: Double

    public init(maxAttempts: Int = 6, baseDelaySeconds: Double = 0.2, maxDelaySeconds: Double = 20) {
        self.maxAttempts = maxAttempts
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
    }

    /// `attempt` counts from 1 (the attempt that just failed); `jitter` is uniform in 0..<1.
    public func decide(attempt: Int, failure: Failure, jitter: Double) -> Decision {
        guard attempt < maxAttempts else { return .giveUp }
        switch failure {
        case .status(let code, let retryAfter):
            guard code == 429 || code == 408 || (500...599).contains(code) else { return .giveUp }
            if let retryAfter, retryAfter >= 0 { return .retry(afterSeconds: min(retryAfter, maxDelaySeconds)) }
        case .transport, .timeout:
            break
        }
        let ceiling = min(maxDelaySeconds, baseDelaySeconds * Double(1 << min(attempt - 1, 30)))
        return .retry(afterSeconds: ceiling * (0.5 + jitter / 2))
    }
}
