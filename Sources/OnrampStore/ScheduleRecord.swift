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

    public init(id: String, tenantId: String, pipelineId: String, cron: String, timezone: String, enabled: Bool, createdAt: Date, lastFiredAt: Date? = nil) {
        self.id = id
        self.tenantId = tenantId
        self.pipelineId = pipelineId
        self.cron = cron
        self.timezone = timezone
        self.enabled = enabled
        self.createdAt = createdAt
        self.lastFiredAt = lastFiredAt
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
}
