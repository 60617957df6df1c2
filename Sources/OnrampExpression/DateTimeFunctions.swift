import Foundation

/// `$now`, `$millis`, `$toMillis`, `$fromMillis` (ISO 8601; picture strings are not yet supported).
enum DateTimeFunctions {
    typealias E = FunctionLibrary.Entry

    nonisolated(unsafe) static let entries: [String: E] = [
        "millis": E(signature: "<:n>", arity: 0) { ev, _, _ in .number(ev.startMillis) },
        "now": E(signature: "<s?s?:s>", arity: 2) { ev, _, _ in .string(iso(ev.startMillis)) },
        "fromMillis": E(signature: "<n-s?s?:s>", arity: 3) { _, a, _ in
            guard let ms = a.at(0).numberValue else { return .undefined }
            return .string(iso(ms))
        },
        "toMillis": E(signature: "<s-s?:n>", arity: 2) { _, a, _ in
            guard let s = a.at(0).stringValue else { return .undefined }
            guard let ms = parseISO(s) else { throw JSONataError("D3110", value: .string(s)) }
            return .number(ms)
        },
    ]

    static func iso(_ ms: Double) -> String {
        let date = Date(timeIntervalSince1970: ms / 1000)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        let millis = Int((ms.truncatingRemainder(dividingBy: 1000) + 1000).truncatingRemainder(dividingBy: 1000))
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!, millis)
    }

    /// Parses ISO 8601 date or date-time text (with optional fraction and offset) to epoch millis.
    static func parseISO(_ s: String) -> Double? {
        let pattern = #"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?)?)?$"#
        guard let re = try? NSRegularExpression(pattern: pattern),
              let m = re.firstMatch(in: s, range: NSRange(location: 0, length: (s as NSString).length)) else { return nil }
        let ns = s as NSString
        func g(_ i: Int) -> String? { let r = m.range(at: i); return r.location == NSNotFound ? nil : ns.substring(with: r) }
        var c = DateComponents()
        c.year = Int(g(1)!)
        c.month = Int(g(2) ?? "1")
        c.day = Int(g(3) ?? "1")
        c.hour = Int(g(4) ?? "0")
        c.minute = Int(g(5) ?? "0")
        c.second = Int(g(6) ?? "0")
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        guard let date = cal.date(from: c) else { return nil }
        var ms = (date.timeIntervalSince1970 * 1000).rounded()
        if let frac = g(7) { ms += Double("0." + frac).map { ($0 * 1000).rounded(.down) } ?? 0 }
        if let tz = g(8), tz != "Z" {
            let sign: Double = tz.hasPrefix("-") ? -1 : 1
            let digits = tz.dropFirst().replacingOccurrences(of: ":", with: "")
            let h = Double(digits.prefix(2)) ?? 0, mi = Double(digits.suffix(2)) ?? 0
            ms -= sign * (h * 3600 + mi * 60) * 1000
        }
        return ms
    }
}
