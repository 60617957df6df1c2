import Foundation

/// A finished run's webhooks, kept on the run as an outbox: every way a run ends (its outcome recorded, its last
/// attempt lost, cancelled while queued) leaves one pending, and a notifier delivers it at least once, retrying
/// with backoff. `sent` names the targets that answered 2xx, so a retry sends only the others.
public struct RunNotice: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        case pending, delivered
        /// Every attempt failed; `lastError` says why.
        case abandoned
    }

    public var state: State
    /// Attempts claimed so far.
    public var attempts: Int
    /// When a pending notice may be claimed: now at first, then the backoff, or the claim's lease while it is out.
    public var dueAt: Date
    /// The notifier holding the current attempt.
    public var owner: String?
    public var sent: [String]
    public var lastError: String?
    public var settledAt: Date?

    public init(state: State = .pending, attempts: Int = 0, dueAt: Date, owner: String? = nil, sent: [String] = [],
                lastError: String? = nil, settledAt: Date? = nil) {
        self.state = state
        self.attempts = attempts
        self.dueAt = dueAt
        self.owner = owner
        self.sent = sent
        self.lastError = lastError
        self.settledAt = settledAt
    }

    /// How one attempt went: the targets it delivered to and, when some failed, why and when to try again
    /// (`retryAt` nil: give up).
    public struct Outcome: Sendable, Equatable {
        public var sent: [String]
        public var failure: String?
        public var retryAt: Date?
        public init(sent: [String], failure: String? = nil, retryAt: Date? = nil) {
            self.sent = sent
            self.failure = failure
            self.retryAt = retryAt
        }
    }

    /// The run with its notice claimed by `owner` until `now + lease`, or nil when it is not due. A notifier that
    /// dies while holding it leaves it to be claimed again once the lease ran out.
    public static func claim(_ run: RunRecord, owner: String, now: Date, lease: TimeInterval) -> RunRecord? {
        guard var notice = run.notice, notice.state == .pending, notice.dueAt <= now else { return nil }
        notice.attempts += 1
        notice.owner = owner
        notice.dueAt = now.addingTimeInterval(lease)
        var r = run
        r.notice = notice
        return r
    }

    /// The run with its claimed attempt settled, or nil when `owner`'s claim (attempt `attempt`) no longer holds.
    public static func settle(_ run: RunRecord, owner: String, attempt: Int, _ outcome: Outcome, at: Date) -> RunRecord? {
        guard var notice = run.notice, notice.state == .pending, notice.owner == owner, notice.attempts == attempt
        else { return nil }
        notice.owner = nil
        for target in outcome.sent where !notice.sent.contains(target) { notice.sent.append(target) }
        notice.lastError = outcome.failure
        if outcome.failure == nil {
            notice.state = .delivered
            notice.settledAt = at
        } else if let retryAt = outcome.retryAt {
            notice.dueAt = retryAt
        } else {
            notice.state = .abandoned
            notice.settledAt = at
        }
        var r = run
        r.notice = notice
        return r
    }
}
