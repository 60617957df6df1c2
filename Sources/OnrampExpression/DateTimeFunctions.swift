import Foundation

/// `$now`, `$millis`, `$fromMillis`, `$toMillis`, and the integer/number picture functions.
enum DateTimeFunctions {
    typealias E = FunctionLibrary.Entry

    nonisolated(unsafe) static let entries: [String: E] = [
        "millis": E(signature: "<:n>", arity: 0) { ev, _, _ in .number(ev.startMillis) },
        "now": E(signature: "<s?s?:s>", arity: 2) { ev, a, _ in
            .string(try format(ev.startMillis, picture: a.at(0).stringValue, timezone: a.at(1).stringValue))
        },
        "fromMillis": E(signature: "<n-s?s?:s>", arity: 3) { _, a, _ in
            guard let ms = a.at(0).numberValue else { return .undefined }
            return .string(try format(ms, picture: a.at(1).stringValue, timezone: a.at(2).stringValue))
        },
        "toMillis": E(signature: "<s-s?:n>", arity: 2) { ev, a, _ in
            guard let s = a.at(0).stringValue else { return .undefined }
            if let picture = a.at(1).stringValue {
                return try DateTimePicture(picture).parse(s, now: ev.startMillis).map(JValue.number) ?? .undefined
            }
            guard let ms = parseISO(s) else { throw JSONataError("D3110", value: .string(s)) }
            return .number(ms)
        },
        "formatInteger": E(signature: "<n-s:s>", arity: 2) { _, a, _ in
            guard let n = a.at(0).numberValue, let picture = a.at(1).stringValue else { return .undefined }
            return .string(try IntegerPicture(picture).format(floor(n)))
        },
        "parseInteger": E(signature: "<s-s:n>", arity: 2) { _, a, _ in
            guard let s = a.at(0).stringValue, let picture = a.at(1).stringValue else { return .undefined }
            return try IntegerPicture(picture).parse(s).map(JValue.number) ?? .undefined
        },
        "formatNumber": E(signature: "<n-so?:s>", arity: 3) { _, a, _ in
            guard let n = a.at(0).numberValue, let picture = a.at(1).stringValue else { return .undefined }
            return .string(try NumberPicture(options: a.at(2)).format(n, picture: picture))
        },
    ]

    static func format(_ millis: Double, picture: String?, timezone: String?) throws -> String {
        try (picture.map { try DateTimePicture($0) } ?? DateTimePicture.iso).format(millis, timezone: timezone)
    }

    nonisolated(unsafe) static let isoPattern = try! NSRegularExpression(
        pattern: #"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?)?)?$"#)

    /// ISO 8601 date or date-time text (optional fraction and offset) to epoch millis, as `Date.parse`
    /// reads the forms JSONata accepts.
    static func parseISO(_ s: String) -> Double? {
        guard let m = isoPattern.firstMatch(in: s, range: NSRange(location: 0, length: (s as NSString).length)) else { return nil }
        let ns = s as NSString
        func g(_ i: Int) -> String? { let r = m.range(at: i); return r.location == NSNotFound ? nil : ns.substring(with: r) }
        let month = Int(g(2) ?? "1") ?? 1, day = Int(g(3) ?? "1") ?? 1
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        var ms = CivilTime.utc(Int(g(1)!)!, month - 1, day, Int(g(4) ?? "0") ?? 0, Int(g(5) ?? "0") ?? 0, Int(g(6) ?? "0") ?? 0)
        if let frac = g(7) { ms += floor((Double("0." + frac) ?? 0) * 1000) }
        if let tz = g(8), tz != "Z" {
            let sign: Double = tz.hasPrefix("-") ? -1 : 1
            let digits = tz.dropFirst().replacingOccurrences(of: ":", with: "")
            ms -= sign * ((Double(digits.prefix(2)) ?? 0) * 60 + (Double(digits.suffix(2)) ?? 0)) * 60_000
        }
        return ms
    }
}
