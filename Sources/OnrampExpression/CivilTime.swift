import Foundation

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

    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `Date.UTC(year, monthIndex, day, h, m, s, ms)`; `monthIndex` is 0-based and may overflow.
    static func utc(_ year: Int, _ monthIndex: Int, _ day: Int = 1, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0, _ ms: Int = 0) -> Double {
        let y = year + Int(floor(Double(monthIndex) / 12))
        let m = ((monthIndex % 12) + 12) % 12 + 1
        let days = daysFromCivil(y, m, 1) + day - 1
        return Double(days) * millisInADay + Double(((h * 60 + mi) * 60 + s) * 1000 + ms)
    }

    public init(millis: Double) {
        let days = Int(floor(millis / CivilTime.millisInADay))
        var rem = Int(millis - Double(days) * CivilTime.millisInADay)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        millisecond = rem % 1000; rem /= 1000
        second = rem % 60; rem /= 60
        minute = rem % 60
        hour = rem / 60
        let wd = ((days % 7) + 7 + 4) % 7  // 1970-01-01 was a Thursday; 0 = Sunday
        weekday = wd == 0 ? 7 : wd
    }
}
