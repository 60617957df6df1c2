import Foundation

/// A pipeline's schedule: a cron expression in an IANA time zone.
public struct ScheduleRecord: Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var pipelineId: String
    public var cron: String
    public var timezone: String
    public var enabled: Bool
    public var createdAt: Date
    /// The last slot fired: a slot fires at most once, whichever scheduler gets there first.
    public var lastFiredAt: Date?
    /// When the scheduler next needs to evaluate it (`dueAtOnce` after every save), so a tick reads only what is due.
    public var nextDueAt: Date

    /// The `nextDueAt` of a schedule never evaluated since it was saved.
    public static let dueAtOnce = Date(timeIntervalSince1970: 0)

    public init(id: String, tenantId: String, pipelineId: String, cron: String, timezone: String, enabled: Bool, createdAt: Date,
                lastFiredAt: Date? = nil, nextDueAt: Date = dueAtOnce) {
        self.id = id
        self.tenantId = tenantId
        self.pipelineId = pipelineId
        self.cron = cron
        self.timezone = timezone
        self.enabled = enabled
        self.createdAt = createdAt
        self.lastFiredAt = lastFiredAt
        self.nextDueAt = nextDueAt
    }
}

public protocol ScheduleStore: Sendable {
    func saveSchedule(_ schedule: ScheduleRecord) async throws
    func schedule(id: String) async throws -> ScheduleRecord?
    func schedules(tenantId: String?) async throws -> [ScheduleRecord]
    func deleteSchedule(id: String) async throws -> Bool
    /// Records that `slot` fired, only if it is later than the last fired slot (compare-and-set);
    /// false means another scheduler already fired it.
    func markFired(scheduleId: String, slot: Date) async throws -> Bool
    /// Enabled schedules whose `nextDueAt` is at or before `now`, the longest due first, at most `limit`.
    func dueSchedules(at now: Date, limit: Int) async throws -> [ScheduleRecord]
    /// The earliest `nextDueAt` of the enabled schedules; nil when none is enabled.
    func nextScheduleDue() async throws -> Date?
    /// Sets when `schedule` is next due, only while its cron, time zone and enabled flag are as read (a schedule saved
    /// meanwhile stays due at once).
    func setNextDue(_ schedule: ScheduleRecord, at: Date) async throws
}
