import Foundation
import OnrampCore

/// What a worker holds while it runs a run: the run, the worker and the attempt it claimed. A write
/// carrying a fence that no longer matches the run (taken over, finished, expired) is refused.
public struct RunFence: Sendable, Hashable, CustomStringConvertible {
    public var runId: String
    public var worker: String
    public var attempt: Int

    public init(runId: String, worker: String, attempt: Int) {
        self.runId = runId
        self.worker = worker
        self.attempt = attempt
    }

    public var description: String { "\(runId)@\(worker)#\(attempt)" }
}

/// The limits a claim observes.
public struct ClaimPolicy: Sendable {
    /// Seconds the claimed run is held before another worker may take it over.
    public var lease: TimeInterval
    /// Runs of one tenant running at once, across all workers.
    public var perTenantLimit: Int
    /// Attempts a run gets; a run whose last attempt was lost ends `failed` with every attempt's reason.
    public var maxAttempts: Int

    public init(lease: TimeInterval, perTenantLimit: Int, maxAttempts: Int = 3) {
        self.lease = lease
        self.perTenantLimit = perTenantLimit
        self.maxAttempts = max(1, maxAttempts)
    }
}

/// The run queue's rules as pure transitions over `RunRecord`s, shared by every store backend: a
/// backend reads the rows, applies one of these in its write transaction and stores what changed.
public enum RunLifecycle {
    /// A claim among the active (queued and running) runs: the oldest run that is queued (and not held back to a later
    /// `notBefore`) or whose lease expired, whose tenant is under its limit and whose pipeline has no live run. Runs whose
    /// lease expired on their last attempt end `failed`. Returns the claimed run and every changed run.
    public static func claim(active: [RunRecord], worker: String, now: Date,
                             policy: ClaimPolicy) -> (claimed: RunRecord?, changed: [RunRecord]) {
        var changed: [RunRecord] = []
        var liveByTenant: [String: Int] = [:]
        var livePipelines: Set<String> = []
        var candidates: [RunRecord] = []
        for run in active.sorted(by: { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }) {
            switch run.state {
            case .running where isLive(run, now: now):
                liveByTenant[run.tenantId, default: 0] += 1
                livePipelines.insert(run.pipelineId)
            case .running where run.attempts >= policy.maxAttempts:
                var failed = run
                failed.attemptErrors.append(lostReason(run))
                end(&failed, .failed, at: now, reason: "gave up after \(run.attempts) attempt(s)")
                changed.append(failed)
            case .queued where (run.notBefore ?? .distantPast) > now:
                continue
            case .running, .queued:
                candidates.append(run)
            default:
                continue
            }
        }
        guard var run = candidates.first(where: {
            liveByTenant[$0.tenantId, default: 0] < policy.perTenantLimit && !livePipelines.contains($0.pipelineId)
        }) else { return (nil, changed) }
        if run.state == .running { run.attemptErrors.append(lostReason(run)) }
        run.state = .running
        run.startedAt = run.startedAt ?? now
        run.leaseOwner = worker
        run.leaseExpiresAt = now.addingTimeInterval(policy.lease)
        run.attempts += 1
        run.progress = nil
        changed.append(run)
        return (run, changed)
    }

    /// `claim` over every running run and one page of queued runs (oldest first, `pageSize` of them, the pages before
    /// it held no run that could be claimed): the same answer as over all active runs, or nil when it needs the next
    /// page. A claim so reads what the limits need and the head of the queue, not the whole queue.
    public static func claim(running: [RunRecord], queuedPage page: [RunRecord], pageSize: Int, worker: String, now: Date,
                             policy: ClaimPolicy) -> (claimed: RunRecord?, changed: [RunRecord])? {
        let result = claim(active: running + page, worker: worker, now: now, policy: policy)
        guard page.count >= pageSize, let last = page.last else { return result }
        // A later page may hold a queued run older than a claimed lost one (a running run whose lease expired).
        if let claimed = result.claimed, (claimed.createdAt, claimed.id) <= (last.createdAt, last.id) { return result }
        return nil
    }

    /// Whether `fence` still holds `run` at `now` (same worker and attempt, lease not expired).
    public static func holds(_ run: RunRecord, _ fence: RunFence, now: Date) -> Bool {
        run.id == fence.runId && run.state == .running && run.leaseOwner == fence.worker && run.attempts == fence.attempt
            && (run.leaseExpiresAt ?? .distantPast) > now
    }

    /// The run with its lease extended, or nil when the fence no longer holds it.
    public static func heartbeat(_ run: RunRecord, _ fence: RunFence, until: Date, now: Date) -> RunRecord? {
        guard holds(run, fence, now: now) else { return nil }
        var r = run
        r.leaseExpiresAt = until
        return r
    }

    /// The attempt's latest progress, or nil when the fence no longer holds the run.
    public static func progress(_ run: RunRecord, _ fence: RunFence, _ progress: Value, now: Date) -> RunRecord? {
        guard holds(run, fence, now: now) else { return nil }
        var r = run
        r.progress = progress
        return r
    }

    /// The run ended in `state` with `summary`, or nil when the fence no longer holds it.
    public static func finish(_ run: RunRecord, _ fence: RunFence, state: RunState, summary: Value, at: Date) -> RunRecord? {
        guard holds(run, fence, now: at) else { return nil }
        var r = run
        r.summary = summary
        end(&r, state, at: at, reason: nil)
        return r
    }

    /// The worker gives the run back. With a `failure` (its attempt died), the reason is recorded and
    /// the run ends `failed` when that was its last attempt; without one (a drain on shutdown) the
    /// attempt is not counted. Otherwise the run is queued again. `summary` is what the run keeps if it
    /// ends (its log, say). Nil when the fence does not hold.
    public static func release(_ run: RunRecord, _ fence: RunFence, failure: String?, summary: Value? = nil, at: Date,
                               maxAttempts: Int) -> RunRecord? {
        guard holds(run, fence, now: at) else { return nil }
        var r = run
        r.leaseOwner = nil
        r.leaseExpiresAt = nil
        guard let failure else {
            r.state = .queued
            r.attempts -= 1
            return r
        }
        r.attemptErrors.append("attempt \(run.attempts): \(failure)")
        if r.attempts >= maxAttempts {
            r.summary = summary
            end(&r, .failed, at: at, reason: "gave up after \(r.attempts) attempt(s)")
        } else {
            r.state = .queued
        }
        return r
    }

    /// A queued run is cancelled at once; a running one is asked to stop at its next batch.
    public static func requestCancel(_ run: RunRecord, at: Date = Date()) -> RunRecord {
        var r = run
        if r.state == .queued {
            end(&r, .cancelled, at: at, reason: "cancelled before it started")
        } else if r.state == .running {
            r.cancelRequested = true
        }
        return r
    }

    static func isLive(_ run: RunRecord, now: Date) -> Bool { (run.leaseExpiresAt ?? .distantPast) > now }

    static func lostReason(_ run: RunRecord) -> String {
        "attempt \(run.attempts): lease of \(run.leaseOwner ?? "a worker") expired (worker lost)"
    }

    /// Ends the run; a run ended by the queue (no summary yet) gets one naming why and every attempt's reason.
    static func end(_ run: inout RunRecord, _ state: RunState, at: Date, reason: String?) {
        run.state = state
        run.finishedAt = at
        run.leaseOwner = nil
        run.leaseExpiresAt = nil
        run.notice = RunNotice(dueAt: at)
        if let reason {
            var summary = run.summary?.objectValue ?? [:]
            summary["failure_reason"] = .string(([reason] + run.attemptErrors).joined(separator: "; "))
            run.summary = .object(summary)
        }
    }
}
