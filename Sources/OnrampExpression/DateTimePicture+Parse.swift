import Foundation

extension DateTimePicture {
    private struct Matcher {
        var regex: String
        var component: Character?
        var parse: ((String) throws -> Double?)?
    }

    private func matchers() throws -> [Matcher] {
        try parts.map { part -> Matcher in
            switch part {
            case .literal(let s):
                return Matcher(regex: NSRegularExpression.escapedPattern(for: s))
            case .marker(let m) where m.component == "Z" || m.component == "z":
                let separator: Character? = (m.integer?.regularInterval ?? 0) > 0 ? m.integer?.separators.first?.character : nil
                var regex = m.component == "z" ? "GMT" : ""
                regex += "[-+][0-9]+"
                if let separator { regex += NSRegularExpression.escapedPattern(for: String(separator)) + "[0-9]+" }
                return Matcher(regex: regex, component: m.component) { text in
                    var value = Substring(text)
                    if m.component == "z" { value = value.dropFirst(3) }
                    var hours = 0, minutes = 0
                    if let separator, let i = value.firstIndex(of: separator) {
                        hours = Int(value[..<i]) ?? 0
                        minutes = Int(value[value.index(after: i)...]) ?? 0
                    } else if value.count - 1 <= 2 {
                        hours = Int(value) ?? 0
                    } else {
                        hours = Int(value.prefix(3)) ?? 0
                        minutes = Int(value.dropFirst(3)) ?? 0
                    }
                    return Double(hours) * 60 + Double(minutes)
                }
            case .marker(let m):
                if m.component == "f" {
                    // Fractional seconds: the digits are a fraction, truncated to milliseconds.
                    return Matcher(regex: "[0-9]+", component: "f") { Double("0." + $0).map { floor($0 * 1000) } }
                }
                if let integer = m.integer {
                    return Matcher(regex: try integer.regex(), component: m.component) { try integer.parse($0) }
                }
                var lookup: [String: Double] = [:]
                switch m.component {
                case "M", "x":
                    for (i, name) in DateTimePicture.months.enumerated() { lookup[String(name.prefix(m.widthMax ?? name.count)).lowercased()] = Double(i + 1) }
                case "F":
                    for (i, name) in DateTimePicture.days.dropFirst().enumerated() { lookup[String(name.prefix(m.widthMax ?? name.count)).lowercased()] = Double(i + 1) }
                case "P":
                    lookup = ["am": 0, "pm": 1]
                default:
                    throw JSONataError("D3133", value: .string(String(m.component)))
                }
                return Matcher(regex: "[a-zA-Z]+", component: m.component) { lookup[$0.lowercased()] }
            }
        }
    }

    /// Parses `timestamp` by this picture to epoch millis; missing leading components default to
    /// `now`'s, trailing ones to their minimum; a gap is D3136. Nil when the text does not match.
    func parse(_ timestamp: String, now: Double) throws -> Double? {
        let ms = try matchers()
        let pattern = "^" + ms.map { "(\($0.regex))" }.joined() + "$"
        let re = try NSRegularExpression(pattern: pattern, options: .caseInsensitive)
        let ns = timestamp as NSString
        guard let match = re.firstMatch(in: timestamp, range: NSRange(location: 0, length: ns.length)) else { return nil }
        var components: [Character: Double] = [:]
        for (i, m) in ms.enumerated() {
            guard let parse = m.parse, let c = m.component else { continue }
            let r = match.range(at: i + 1)
            if r.location != NSNotFound, let v = try parse(ns.substring(with: r)) { components[c] = v }
        }
        if components.isEmpty { return nil }

        func mask(_ letters: String) -> Int { letters.reduce(0) { ($0 << 1) + (components[$1] != nil ? 1 : 0) } }
        func isType(_ type: Int, _ mask: Int) -> Bool { (~type & mask) == 0 && (type & mask) != 0 }
        let dateMask = mask("YXMxWwdD")
        let dateA = isType(161, dateMask)
        let dateB = !dateA && isType(130, dateMask)
        let dateC = isType(84, dateMask)
        let dateD = !dateC && isType(72, dateMask)
        let timeMask = mask("PHhmsf")
        let timeA = isType(23, timeMask)
        let timeB = !timeA && isType(47, timeMask)
        let comps = (dateB ? "YD" : dateC ? "XxwF" : dateD ? "XWF" : "YMD") + (timeB ? "Phmsf" : "Hmsf")
        var startSpecified = false, endSpecified = false
        for part in comps {
            if components[part] == nil {
                if startSpecified {
                    components[part] = "MDd".contains(part) ? 1 : 0
                    endSpecified = true
                } else {
                    components[part] = DateTimePicture.fragment(now, part).numberValue ?? 0
                }
            } else {
                startSpecified = true
                if endSpecified { throw JSONataError("D3136") }
            }
        }
        // Parsed numbers may be anything ("[Y]" reads any digits): beyond ±10^8 none is a date.
        for (c, v) in components where !(Swift.abs(v) <= 1e8) {
            throw JSONataError("D1001", token: String(c), value: .number(v))
        }
        var month = max(0, (components["M"] ?? 1) - 1)
        var day = components["D"] ?? 1
        if dateB {
            let derived = CivilTime(millis: CivilTime.utc(Int(components["Y"] ?? 0), 0) + ((components["d"] ?? 1) - 1) * CivilTime.millisInADay)
            month = Double(derived.month - 1)
            day = Double(derived.day)
        }
        if dateC || dateD { throw JSONataError("D3136") }
        var hour = components["H"] ?? 0
        if timeB {
            hour = components["h"] == 12 ? 0 : (components["h"] ?? 0)
            if components["P"] == 1 { hour += 12 }
        }
        var millis = CivilTime.utc(Int(components["Y"] ?? 0), Int(month), Int(day), Int(hour), Int(components["m"] ?? 0),
                                   Int(components["s"] ?? 0), Int(components["f"] ?? 0))
        if let offset = components["Z"] ?? components["z"] { millis -= offset * 60 * 1000 }
        return millis
    }
}
