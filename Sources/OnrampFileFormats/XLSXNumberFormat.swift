/// How a cell's number format shows a number: as a number, or as a date, a time or both (ISO 8601 strings).
enum XLSXNumberFormat: Sendable, Equatable {
    case number, date, time, dateTime

    /// The kind of built-in format `id` (14-22, 45-47 are dates and times) or of the custom `code`.
    init(id: Int, code: String?) {
        switch id {
        case 14...17: self = .date
        case 18...21, 45...47: self = .time
        case 22: self = .dateTime
        default: self = code.map(Self.classify) ?? .number
        }
    }

    /// A custom format code: d or y (or a month name) make it a date, h or s a time; quoted text, escaped
    /// characters and [colour]/[$-locale] brackets do not count, `[h]`-style elapsed times do.
    static func classify(_ code: String) -> XLSXNumberFormat {
        var date = false, time = false
        var quoted = false, escaped = false, bracket = false
        var bracketText = ""
        for ch in code.lowercased() {
            if escaped { escaped = false; continue }
            if quoted { if ch == "\"" { quoted = false }; continue }
            if bracket {
                if ch == "]" {
                    bracket = false
                    if ["h", "hh", "m", "mm", "s", "ss"].contains(bracketText) { time = true }
                } else {
                    bracketText.append(ch)
                }
                continue
            }
            switch ch {
            case "\"": quoted = true
            case "\\", "_", "*": escaped = true
            case "[": bracket = true; bracketText = ""
            case ";": return date ? (time ? .dateTime : .date) : (time ? .time : .number)
            case "d", "y": date = true
            case "h", "s": time = true
            default: break
            }
        }
        return date ? (time ? .dateTime : .date) : (time ? .time : .number)
    }

    /// The serial number `serial` as ISO 8601 text in the 1900 (with its 1900-02-29) or 1904 date system;
    /// nil for the nonexistent 1900-02-29 and for numbers out of range.
    func iso8601(_ serial: Double, date1904: Bool) -> String? {
        guard serial.isFinite, serial >= 0, serial < 2_958_466 else { return nil }
        var days = Int(serial.rounded(.down))
        var ms = Int(((serial - Double(days)) * 86_400_000).rounded())
        if ms >= 86_400_000 { days += 1; ms -= 86_400_000 }
        let time = Self.clock(ms)
        if self == .time && days == 0 { return time }
        if self == .time { return Self.clock(ms + days * 86_400_000) }
        let epochOffset: Int
        if date1904 {
            epochOffset = Self.daysFromCivil(1904, 1, 1)
        } else {
            if days == 60 { return nil }
            // Serials count 1900-01-01 as 1 and include the nonexistent 1900-02-29 (60).
            epochOffset = days < 60 ? Self.daysFromCivil(1899, 12, 31) : Self.daysFromCivil(1899, 12, 30)
            if days == 0 && self == .date { return nil }
        }
        let (y, m, d) = Self.civil(fromDays: epochOffset + days)
        let dateText = "\(Self.pad(y, 4))-\(Self.pad(m, 2))-\(Self.pad(d, 2))"
        return self == .date ? dateText : dateText + "T" + time
    }

    private static func clock(_ ms: Int) -> String {
        let h = ms / 3_600_000, m = ms / 60_000 % 60, s = ms / 1000 % 60, f = ms % 1000
        return "\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2))" + (f == 0 ? "" : "." + pad(f, 3))
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
