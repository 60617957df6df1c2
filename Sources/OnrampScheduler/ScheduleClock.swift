import Foundation

/// What a schedule should do now: pure, so missed fires and double fires are tested without a clock.
public struct ScheduleDecision: Sendable, Equatable {
    /// The slot to fire now (at most one, even when several were missed), or nil.
    public var fire: Date?
    /// When to look again.
    public var wakeAt: Date?
}

extension CronExpression {
    /// Given the last slot that fired (nil: never) and the time now, decide. A server that was down
    /// over several slots fires once for the latest missed slot, not once per slot; a slot that
    /// already fired never fires again.
    public func decide(lastFired: Date?, createdAt: Date, now: Date, in zone: TimeZone) -> ScheduleDecision {
        let from = lastFired ?? createdAt
        var due: Date?
        if let latest = previous(atOrBefore: now, in: zone), latest > from { due = latest }
        return ScheduleDecision(fire: due, wakeAt: next(after: now, in: zone))
    }
}
