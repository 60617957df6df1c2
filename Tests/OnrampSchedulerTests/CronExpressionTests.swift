import Foundation
import OnrampCore
import OnrampScheduler
import Testing

@Suite struct CronExpressionTests {
    let berlin = TimeZone(identifier: "Europe/Berlin")!
    let newYork = TimeZone(identifier: "America/New_York")!
    let utc = TimeZone(identifier: "UTC")!

    func date(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }
    func iso(_ d: Date) -> String { ISO8601DateFormatter().string(from: d) }

    @Test func fieldsListsRangesStepsAndNames() throws {
        let c = try CronExpression("*/15 9-17 * * mon-fri")
        let fires = c.next(5, after: date("2026-11-27T16:50:00Z"), in: utc).map(iso)  // a Friday
        #expect(fires == ["2026-11-27T17:00:00Z", "2026-11-27T17:15:00Z", "2026-11-27T17:30:00Z", "2026-11-27T17:45:00Z", "2026-11-30T09:00:00Z"])
        #expect(try CronExpression("@monthly").next(after: date("2026-11-24T10:00:00Z"), in: utc).map(iso) == "2026-12-01T00:00:00Z")
    }

    @Test func badExpressionsNameTheField() {
        #expect(throws: OnrampError.self) { try CronExpression("61 * * * *") }
        do { _ = try CronExpression("0 0 * 13 *"); Issue.record("accepted") } catch { #expect(error.location == "month") }
        do { _ = try CronExpression("0 0 *"); Issue.record("accepted") } catch { #expect(error.code == "cron.fields") }
    }

    @Test func dayOfMonthOrDayOfWeekWhenBothAreRestricted() throws {
        let c = try CronExpression("0 12 1 * fri")  // the 1st, or any Friday
        #expect(c.next(2, after: date("2026-11-25T00:00:00Z"), in: utc).map(iso) == ["2026-11-27T12:00:00Z", "2026-12-01T12:00:00Z"])
    }

    @Test func localTimeAcrossDaylightSavingChanges() throws {
        let daily = try CronExpression("30 2 * * *")
        // Berlin springs forward on 2026-03-29 at 02:00 -> 03:00: 02:30 does not exist and fires at 03:30 CEST.
        #expect(daily.next(3, after: date("2026-03-27T12:00:00Z"), in: berlin).map(iso)
            == ["2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z"])
        // New York falls back on 2026-11-01 at 02:00 -> 01:00: 01:30 happens twice and fires once.
        let early = try CronExpression("30 1 * * *")
        #expect(early.next(3, after: date("2026-10-31T00:00:00Z"), in: newYork).map(iso)
            == ["2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"])
    }

    @Test func missedSlotsFireOnceAndNoSlotFiresTwice() throws {
        let hourly = try CronExpression("@hourly")
        let created = date("2026-11-24T00:10:00Z")
        // Down from 01:00 to 05:20: one fire, for the latest missed slot.
        let d = hourly.decide(lastFired: date("2026-11-24T01:00:00Z"), createdAt: created, now: date("2026-11-24T05:20:00Z"), in: utc)
        #expect(d.fire.map(iso) == "2026-11-24T05:00:00Z")
        #expect(d.wakeAt.map(iso) == "2026-11-24T06:00:00Z")
        // Having fired 05:00, asking again within the hour fires nothing.
        let again = hourly.decide(lastFired: d.fire, createdAt: created, now: date("2026-11-24T05:59:59Z"), in: utc)
        #expect(again.fire == nil)
        // A new schedule does not fire for slots before it existed.
        #expect(hourly.decide(lastFired: nil, createdAt: created, now: date("2026-11-24T00:30:00Z"), in: utc).fire == nil)
    }
}
