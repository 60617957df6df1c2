import Foundation
import OnrampCore

/// UTC calendar arithmetic on epoch milliseconds, with JavaScript `Date.UTC` semantics (months and
/// days may overflow), without Foundation's calendars.
public struct CivilTime {
    public var year: Int, month: Int, day: Int  // month 1...12
    public var hour: Int, minute: Int, second: Int, millisecond: Int
    /// 1 = Monday … 7 = Sunday (ISO 8601).
    public var weekday: Int

    static let millisInADay = 86_400_000.0
    /// The instants `Date` can hold, plus a day either side for a time zone offset.
    static let maxMillis = 8.64e15 + millisInADay

    /// `Date.UTC(year, monthIndex, day, h, m, s, ms)`; `monthIndex` is 0-based and may overflow.
    static func utc(_ year: Int, _ monthIndex: Int, _ day: Int = 1, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0, _ ms: Int = 0) -> Double {
        let y = year + Int(floor(Double(monthIndex) / 12))
        let m = ((monthIndex % 12) + 12) % 12 + 1
        let days = CivilDate.days(y, m, 1) + day - 1
        return Double(days) * millisInADay + Double(((h * 60 + mi) * 60 + s) * 1000 + ms)
    }

    public init(millis: Double) {
        let days = Int(floor(millis / CivilTime.millisInADay))
        var rem = Int(millis - Double(days) * CivilTime.millisInADay)
        (year, month, day) = CivilDate.civil(days: days)
        millisecond = rem % 1000; rem /= 1000
        second = rem % 60; rem /= 60
        minute = rem % 60
        hour = rem / 60
        let wd = ((days % 7) + 7 + 4) % 7  // 1970-01-01 was a Thursday; 0 = Sunday
        weekday = wd == 0 ? 7 : wd
    }
}
