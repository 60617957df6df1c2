import Foundation
import OnrampCore
import OnrampExpression

extension DateParsing {
    /// A checked calendar date and time of day (24-hour), before any zone.
    struct Civil {
        var year: Int, month: Int, day: Int
        var hour = 0, minute = 0, second = 0
        var fraction: [UInt8] = []
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The fields as a calendar date; an impossible one (31.02., 25:00) is an error naming the text and picture.
    static func civil(_ f: Fields, text: String, picture: String) throws(OnrampError) -> Civil {
        func fail(_ what: String) -> OnrampError {
            CleansingText.error("clean.date", text, "\(what) (picture \(CleansingText.quote(picture)))")
        }
        guard let year = f.year, let month = f.month, let day = f.day else {
            throw fail("cannot be a date: the picture needs a year (YYYY or YY), a month (MM or MMM) and a day (DD)")
        }
        guard (1...9999).contains(year), (1...12).contains(month), (1...daysIn(month, year)).contains(day) else {
            throw fail("is not a calendar date")
        }
        var c = Civil(year: year, month: month, day: day, minute: f.minute, second: f.second, fraction: f.fraction)
        if let h12 = f.hour12 {
            guard let pm = f.pm else { throw fail("has a 12-hour hour (hh) without am/pm (a)") }
            guard (1...12).contains(h12) else { throw fail("is not a time of day") }
            c.hour = h12 % 12 + (pm ? 12 : 0)
        } else if let h = f.hour {
            c.hour = h < 12 && f.pm == true ? h + 12 : h
        }
        guard c.hour < 24, c.minute < 60, c.second < 60 else { throw fail("is not a time of day") }
        return c
    }

    /// Days since 1970-01-01 and milliseconds into the day of an Excel serial date (1900 system with its
    /// phantom 1900-02-29 = serial 60, or the 1904 system).
    static func excel(_ serial: Double, system1904: Bool, text: String) throws(OnrampError) -> Civil {
        let limit = system1904 ? 2_957_004.0 : 2_958_466.0  // 9999-12-31 + 1
        guard serial.isFinite, serial >= (system1904 ? 0 : 1), serial < limit else {
            throw CleansingText.error("clean.date", text, "is not an Excel serial date: expected a number of days from "
                                      + (system1904 ? "0 (1904-01-01)" : "1 (1900-01-01)") + " to \(Int(limit) - 1)")
        }
        var whole = Int(serial.rounded(.down))
        var millis = Int(((serial - Double(whole)) * 86_400_000).rounded())
        if millis >= 86_400_000 { whole += 1; millis -= 86_400_000 }
        if !system1904 && whole == 60 {
            throw CleansingText.error("clean.date", text, "is 1900-02-29 in Excel's 1900 system, a day that does not "
                                      + "exist (Excel's leap-year bug): not a date")
        }
        let base = system1904 ? CivilDate.days(1904, 1, 1)
            : CivilDate.days(1899, 12, whole < 60 ? 31 : 30)
        let t = CivilTime(millis: Double(base + whole) * 86_400_000 + Double(millis))
        var c = Civil(year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second)
        if t.millisecond > 0 { c.fraction = Array(String(1000 + t.millisecond).utf8.dropFirst()) }
        return c
    }

    /// `YYYY-MM-DD`.
    static func isoDate(_ c: Civil) -> String {
        String(unsafeUninitializedCapacity: 10) { b in
            var n = 0
            put(b, &n, c.year, 4); b[n] = 0x2D; n += 1; put(b, &n, c.month, 2); b[n] = 0x2D; n += 1; put(b, &n, c.day, 2)
            return n
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff]` and `Z` or `±HH:MM`.
    static func isoDateTime(_ c: Civil, offsetMinutes: Int) -> String {
        String(unsafeUninitializedCapacity: 36) { b in
            var n = 0
            put(b, &n, c.year, 4); b[n] = 0x2D; n += 1; put(b, &n, c.month, 2); b[n] = 0x2D; n += 1; put(b, &n, c.day, 2)
            b[n] = 0x54; n += 1
            put(b, &n, c.hour, 2); b[n] = 0x3A; n += 1; put(b, &n, c.minute, 2); b[n] = 0x3A; n += 1
            put(b, &n, c.second, 2)
            if !c.fraction.isEmpty {
                b[n] = 0x2E; n += 1
                for d in c.fraction.prefix(9) { b[n] = d; n += 1 }
            }
            if offsetMinutes == 0 {
                b[n] = 0x5A; n += 1
            } else {
                b[n] = offsetMinutes < 0 ? 0x2D : 0x2B; n += 1
                put(b, &n, abs(offsetMinutes) / 60, 2); b[n] = 0x3A; n += 1; put(b, &n, abs(offsetMinutes) % 60, 2)
            }
            return n
        }
    }

    private static func put(_ b: UnsafeMutableBufferPointer<UInt8>, _ n: inout Int, _ value: Int, _ width: Int) {
        var v = value
        for k in stride(from: width - 1, through: 0, by: -1) {
            b[n + k] = UInt8(0x30 + v % 10)
            v /= 10
        }
        n += width
    }

    /// Minutes east of UTC of `zone` at the local time `c`: `Z`, `UTC`, a fixed offset (`+01:00`, `+0100`,
    /// `-05`) or an IANA name (`Europe/Berlin`, from the system's zone database, daylight saving included).
    static func offset(zone: String, at c: Civil) throws(OnrampError) -> Int {
        var text = zone.trimmingSpaces
        let fixed: Int? = text.withUTF8 { b in
            var i = 0
            guard let m = DateParsing.zone(b, &i), i == b.count else { return nil }
            return m
        }
        if let fixed { return fixed }
        guard text.contains("/") || text.count <= 5, let tz = TimeZone(identifier: text) else {
            throw CleansingText.error("clean.date", zone, "is not a time zone: expected Z, +01:00, +0100 or a name "
                                      + "such as Europe/Berlin")
        }
        let days = CivilDate.days(c.year, c.month, c.day)
        let local = Double(days * 86_400 + c.hour * 3_600 + c.minute * 60 + c.second)
        let first = tz.secondsFromGMT(for: Date(timeIntervalSince1970: local))
        let second = tz.secondsFromGMT(for: Date(timeIntervalSince1970: local - Double(first)))
        return second / 60
    }
}
