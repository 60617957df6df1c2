import Foundation

/// Failed sign-ins counted per account and per client address in a sliding window; a key that
/// reaches its limit is locked until the lockout expires. Pure: every call is given `now`.
public struct LoginLimiter: Sendable {
    public enum Key: Hashable, Sendable {
        case account(String)
        case address(String)
    }

    public struct Policy: Sendable {
        /// Failures within `window` that lock an account (its e-mail, case-insensitive).
        public var accountLimit = 5
        /// Failures within `window` that lock a client address (several people may share one).
        public var addressLimit = 20
        public var window: TimeInterval = 15 * 60
        public var lockout: TimeInterval = 15 * 60
        public init() {}
    }

    struct Entry: Sendable {
        var failures: [Date] = []
        var lockedUntil: Date?
    }

    public let policy: Policy
    private(set) var entries: [Key: Entry] = [:]
    /// Entries kept before stale ones are swept (bounds memory under a spray of unknown e-mails).
    let sweepThreshold: Int
    /// The size at which the next sweep runs: doubles while the entries are all recent, so sweeping
    /// stays amortised constant time per failure.
    private var nextSweep: Int

    public init(policy: Policy = Policy(), sweepThreshold: Int = 10_000) {
        self.policy = policy
        self.sweepThreshold = sweepThreshold
        nextSweep = sweepThreshold
    }

    public static func account(_ email: String) -> Key { .account(email.lowercased()) }

    /// Seconds until every key may try again (the longest lockout among them), nil when none is locked.
    public func retryAfter(_ keys: [Key], now: Date) -> TimeInterval? {
        let waits = keys.compactMap { key -> TimeInterval? in
            guard let until = entries[key]?.lockedUntil, until > now else { return nil }
            return until.timeIntervalSince(now)
        }
        return waits.max()
    }

    /// Counts a failed attempt against every key; returns the wait if this failure locked any of them.
    @discardableResult
    public mutating func recordFailure(_ keys: [Key], now: Date) -> TimeInterval? {
        if entries.count >= nextSweep {
            sweep(now: now)
            nextSweep = max(sweepThreshold, entries.count * 2)
        }
        for key in keys {
            var entry = entries[key] ?? Entry()
            if let until = entry.lockedUntil, until <= now { entry = Entry() }
            entry.failures = entry.failures.filter { now.timeIntervalSince($0) < policy.window } + [now]
            if entry.lockedUntil == nil && entry.failures.count >= limit(key) {
                entry.lockedUntil = now.addingTimeInterval(policy.lockout)
            }
            entries[key] = entry
        }
        return retryAfter(keys, now: now)
    }

    /// A successful sign-in clears the account's failures (the address keeps its count).
    public mutating func recordSuccess(account: Key) {
        entries[account] = nil
    }

    /// Drops entries with no recent failure and no running lockout.
    public mutating func sweep(now: Date) {
        entries = entries.filter { _, entry in
            if let until = entry.lockedUntil { return until > now }
            return entry.failures.contains { now.timeIntervalSince($0) < policy.window }
        }
    }

    public var trackedKeys: Int { entries.count }

    func limit(_ key: Key) -> Int {
        switch key {
        case .account: policy.accountLimit
        case .address: policy.addressLimit
        }
    }
}
