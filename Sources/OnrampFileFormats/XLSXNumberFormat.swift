import OnrampCore

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
            epochOffset = CivilDate.days(1904, 1, 1)
        } else {
            if days == 60 { return nil }
            // Serials count 1900-01-01 as 1 and include the nonexistent 1900-02-29 (60).
            epochOffset = days < 60 ? CivilDate.days(1899, 12, 31) : CivilDate.days(1899, 12, 30)
            if days == 0 && self == .date { return nil }
        }
        let (y, m, d) = CivilDate.civil(days: epochOffset + days)
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

}
