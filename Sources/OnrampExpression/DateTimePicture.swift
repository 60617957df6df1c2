import Foundation

/// Date/time pictures (`$fromMillis`, `$toMillis`, `$now`) after XPath `fn:format-dateTime`:
/// `[Y0001]-[M01]-[D01]`, names (`[MNn]`, `[FNn,3-3]`), ordinals, week numbers, time zones.
struct DateTimePicture {
    struct Marker {
        var component: Character
        var presentation1 = ""
        var presentation2: Character?
        var widthMin: Int?
        var widthMax: Int?
        var names: IntegerPicture.Case?
        var integer: IntegerPicture?
        var yearDigits = -1
    }
    enum Part { case literal(String), marker(Marker) }

    static let defaults: [Character: String] = ["Y": "1", "M": "1", "D": "1", "d": "1", "F": "n", "W": "1", "w": "1", "X": "1", "x": "1",
                                                "H": "1", "h": "1", "P": "n", "m": "01", "s": "01", "f": "1", "Z": "01:01", "z": "01:01",
                                                "C": "n", "E": "n"]
    static let days = ["", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    static let iso = try! DateTimePicture("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]")

    var parts: [Part] = []

    init(_ picture: String) throws {
        let chars = Array(picture)
        var start = 0, pos = 0
        func literal(_ from: Int, _ to: Int) {
            if to > from { parts.append(.literal(String(chars[from..<to]).replacingOccurrences(of: "]]", with: "]"))) }
        }
        while pos < chars.count {
            if chars[pos] == "[" {
                if pos + 1 < chars.count && chars[pos + 1] == "[" {
                    literal(start, pos)
                    parts.append(.literal("["))
                    pos += 2
                    start = pos
                    continue
                }
                literal(start, pos)
                start = pos
                guard let close = chars[start...].firstIndex(of: "]") else { throw JSONataError("D3135") }
                pos = close
                let marker = String(chars[(start + 1)..<pos].filter { !$0.isWhitespace })
                parts.append(.marker(try DateTimePicture.marker(marker)))
                start = pos + 1
            }
            pos += 1
        }
        literal(start, pos)
    }

    static func marker(_ text: String) throws -> Marker {
        guard let component = text.first else { throw JSONataError("D3132", value: .string("")) }
        var m = Marker(component: component)
        var presentation: String
        if let comma = text.lastIndex(of: ",") {
            let width = text[text.index(after: comma)...]
            func parseWidth(_ w: Substring?) -> Int? {
                w.flatMap { $0 == "*" ? nil : Int($0).flatMap { $0 >= 0 ? $0 : nil } }
            }
            if let dash = width.firstIndex(of: "-") {
                m.widthMin = parseWidth(width[..<dash])
                m.widthMax = parseWidth(width[width.index(after: dash)...])
            } else {
                m.widthMin = parseWidth(width)
            }
            // `[,…]`: the comma is the component itself, with no presentation.
            presentation = comma > text.startIndex ? String(text[text.index(after: text.startIndex)..<comma]) : ""
        } else {
            presentation = String(text.dropFirst())
        }
        if presentation.count > 1, let last = presentation.last, "atco".contains(last) {
            m.presentation2 = last
            presentation.removeLast()
        }
        if presentation.isEmpty {
            guard let d = defaults[component] else { throw JSONataError("D3132", value: .string(String(component))) }
            presentation = d
        }
        m.presentation1 = presentation
        if presentation.first == "n" {
            m.names = .lower
        } else if presentation.first == "N" {
            m.names = presentation.dropFirst().first == "n" ? .title : .upper
        } else if "YMDdFWwXxHhmsf".contains(component) {
            var integer = try IntegerPicture(presentation + (m.presentation2.map { ";\($0)" } ?? ""))
            if let min = m.widthMin, integer.mandatoryDigits < min { integer.mandatoryDigits = min }
            if component == "Y" {
                if let max = m.widthMax {
                    m.yearDigits = max
                    integer.mandatoryDigits = max
                } else if integer.mandatoryDigits + integer.optionalDigits >= 2 {
                    m.yearDigits = integer.mandatoryDigits + integer.optionalDigits
                }
            }
            m.integer = integer
        }
        if component == "Z" || component == "z" { m.integer = try IntegerPicture(presentation) }
        return m
    }

    // MARK: formatting

    static func startOfFirstWeek(_ year: Int, _ monthIndex: Int) -> Double {
        let first = CivilTime.utc(year, monthIndex)
        let dow = CivilTime(millis: first).weekday
        return dow > 4 ? first + Double(8 - dow) * CivilTime.millisInADay : first - Double(dow - 1) * CivilTime.millisInADay
    }

    static func deltaWeeks(_ start: Double, _ end: Double) -> Double { (end - start) / (CivilTime.millisInADay * 7) + 1 }

    /// The value of one component for an instant (already shifted to the wanted offset).
    static func fragment(_ millis: Double, _ component: Character) -> JValue {
        let t = CivilTime(millis: millis)
        switch component {
        case "Y": return .number(Double(t.year))
        case "M": return .number(Double(t.month))
        case "D": return .number(Double(t.day))
        case "d": return .number(floor((millis - CivilTime.utc(t.year, 0)) / CivilTime.millisInADay) + 1)
        case "F": return .number(Double(t.weekday))
        case "W", "w":
            let monthIndex = component == "W" ? 0 : t.month - 1
            let start = startOfFirstWeek(t.year, monthIndex)
            let today = CivilTime.utc(t.year, t.month - 1, t.day)
            var week = deltaWeeks(start, today)
            if week > (component == "W" ? 52 : 4) {
                let next = component == "W" ? startOfFirstWeek(t.year + 1, 0) : startOfFirstWeek(t.year, monthIndex + 1)
                if today >= next { week = 1 }
            } else if week < 1 {
                let previous = component == "W" ? startOfFirstWeek(t.year - 1, 0) : startOfFirstWeek(t.year, monthIndex - 1)
                week = deltaWeeks(previous, today)
            }
            return .number(floor(week))
        case "X":
            if millis < startOfFirstWeek(t.year, 0) { return .number(Double(t.year - 1)) }
            if millis >= startOfFirstWeek(t.year + 1, 0) { return .number(Double(t.year + 1)) }
            return .number(Double(t.year))
        case "x":
            let m = t.month - 1
            if millis < startOfFirstWeek(t.year, m) { return .number(Double((m + 11) % 12 + 1)) }
            if millis >= startOfFirstWeek(t.year, m + 1) { return .number(Double((m + 1) % 12 + 1)) }
            return .number(Double(t.month))
        case "H": return .number(Double(t.hour))
        case "h": return .number(Double(t.hour % 12 == 0 ? 12 : t.hour % 12))
        case "P": return .string(t.hour >= 12 ? "pm" : "am")
        case "m": return .number(Double(t.minute))
        case "s": return .number(Double(t.second))
        case "f": return .number(Double(t.millisecond))
        case "C", "E": return .string("ISO")
        default: return .undefined
        }
    }

    func format(_ millis: Double, timezone: String?) throws -> String {
        var offsetHours = 0, offsetMinutes = 0
        if let timezone, let offset = Int(timezone) {
            // ±99:59 at most; a larger offset is out of range (and would overflow the arithmetic below).
            guard Swift.abs(offset) <= 9999 else { throw JSONataError("D1001", value: .string(timezone)) }
            offsetHours = Int(floor(Double(offset) / 100))
            offsetMinutes = offset % 100
        }
        let shifted = millis + Double((60 * offsetHours + offsetMinutes) * 60 * 1000)
        // JavaScript's Date range (±8.64e15 ms, years ±275760), with a day to spare for the offset.
        guard shifted.isFinite, Swift.abs(shifted) <= CivilTime.maxMillis else {
            throw JSONataError("D1001", value: .number(millis))
        }
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .marker(let m): out += try DateTimePicture.formatComponent(shifted, m, offsetHours, offsetMinutes)
            }
        }
        return out
    }

    static func formatComponent(_ millis: Double, _ m: Marker, _ offsetHours: Int, _ offsetMinutes: Int) throws -> String {
        let value = fragment(millis, m.component)
        if "YMDdFWwXxHhms".contains(m.component) {
            var n = value.numberValue ?? 0
            if m.component == "Y" && m.yearDigits != -1 { n = n.truncatingRemainder(dividingBy: pow(10, Double(m.yearDigits))) }
            if let names = m.names {
                var name: String
                if m.component == "M" || m.component == "x" {
                    name = months[Int(n) - 1]
                } else if m.component == "F" {
                    name = days[Int(n)]
                } else {
                    throw JSONataError("D3133", value: .string(String(m.component)))
                }
                if names == .upper { name = name.uppercased() } else if names == .lower { name = name.lowercased() }
                if let max = m.widthMax, name.count > max { name = String(name.prefix(max)) }
                return name
            }
            return try m.integer?.format(n) ?? ""
        }
        switch m.component {
        case "f":
            return try m.integer?.format(value.numberValue ?? 0) ?? ""
        case "Z", "z":
            guard let integer = m.integer else { return "" }
            let offset = offsetHours * 100 + offsetMinutes
            var text: String
            if integer.regularInterval > 0 {
                text = try integer.format(Double(offset))
            } else if integer.mandatoryDigits == 1 || integer.mandatoryDigits == 2 {
                text = try integer.format(Double(offsetHours))
                if offsetMinutes != 0 { text += ":" + (try IntegerPicture("00").format(Double(offsetMinutes))) }
            } else if integer.mandatoryDigits == 3 || integer.mandatoryDigits == 4 {
                text = try integer.format(Double(offset))
            } else {
                throw JSONataError("D3134", value: .number(Double(integer.mandatoryDigits)))
            }
            if offset >= 0 { text = "+" + text }
            if m.component == "z" { text = "GMT" + text }
            if offset == 0 && m.presentation2 == "t" { text = "Z" }
            return text
        case "P":
            let s = value.stringValue ?? ""
            return m.names == .upper ? s.uppercased() : s
        default:
            return value.stringValue ?? ""
        }
    }
}
