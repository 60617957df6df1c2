import Foundation
import OnrampCore

/// A cron schedule: five fields (minute hour day-of-month month day-of-week) with `*`, lists,
/// ranges, steps and month/day names, or `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`.
/// Fire times are local wall-clock times in an IANA time zone:
/// - a local time skipped by a daylight-saving change fires shifted forward by the gap
///   (02:30 on a spring-forward night fires at 03:30);
/// - a local time that occurs twice fires once, at its first occurrence.
public struct CronExpression: Sendable, Equatable {
    public let text: String
    let minutes: [Int], hours: [Int], daysOfMonth: Set<Int>, months: Set<Int>, daysOfWeek: Set<Int>
    /// Vixie cron: when both day fields are restricted, a day matches either.
    let dayOfMonthRestricted: Bool, dayOfWeekRestricted: Bool

    static let macros = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
                         "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public init(_ text: String) throws(OnrampError) {
        self.text = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expanded = CronExpression.macros[trimmed.lowercased()] ?? trimmed
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw OnrampError("cron.fields", "a cron expression has 5 fields (minute hour day-of-month month day-of-week) or is @hourly, @daily, @weekly, @monthly or @yearly; found \(fields.count) fields")
        }
        minutes = try CronExpression.field(fields[0], "minute", 0...59).sorted()
        hours = try CronExpression.field(fields[1], "hour", 0...23).sorted()
        daysOfMonth = try CronExpression.field(fields[2], "day-of-month", 1...31)
        months = try CronExpression.field(fields[3], "month", 1...12, names: CronExpression.monthNames, nameBase: 1)
        daysOfWeek = Set(try CronExpression.field(fields[4], "day-of-week", 0...7, names: CronExpression.dayNames, nameBase: 0).map { $0 % 7 })
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String] = [], nameBase: Int = 0) throws(OnrampError) -> Set<Int> {
        func value(_ s: Substring) throws(OnrampError) -> Int {
            if let i = names.firstIndex(of: s.lowercased()) { return i + nameBase }
            guard let v = Int(s), range.contains(v) else {
                throw OnrampError("cron.value", "'\(s)' is not a valid \(name) (\(range.lowerBound)-\(range.upperBound))", at: name)
            }
            return v
        }
        var out = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            var base = part, step = 1
            if let slash = part.firstIndex(of: "/") {
                base = part[..<slash]
                guard let s = Int(part[part.index(after: slash)...]), s > 0 else {
                    throw OnrampError("cron.step", "'\(part)' has an invalid step", at: name)
                }
                step = s
            }
            var lo: Int, hi: Int
            if base == "*" {
                lo = range.lowerBound; hi = range.upperBound
            } else if let dash = base.firstIndex(of: "-") {
                lo = try value(base[..<dash]); hi = try value(base[base.index(after: dash)...])
                guard lo <= hi else { throw OnrampError("cron.range", "'\(part)' is an empty range", at: name) }
            } else {
                lo = try value(base)
                hi = part.contains("/") ? range.upperBound : lo
            }
            out.formUnion(stride(from: lo, through: hi, by: step))
        }
        return out
    }

    func matches(day: Int, month: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        let dom = daysOfMonth.contains(day), dow = daysOfWeek.contains(weekday)
        if dayOfMonthRestricted && dayOfWeekRestricted { return dom || dow }
        return dom && dow
    }

    /// The first fire time strictly after `instant`, searching up to five years ahead.
    public func next(after instant: Date, in zone: TimeZone) -> Date? {
        walk(from: instant, in: zone, forward: true) { $0 > instant }
    }

    /// The last fire time at or before `instant`, searching up to five years back.
    public func previous(atOrBefore instant: Date, in zone: TimeZone) -> Date? {
        walk(from: instant, in: zone, forward: false) { $0 <= instant }
    }

    /// Walks local calendar days from the local date of `instant` (starting one day further back,
    /// or on, to cover a fall-back overlap) and returns the first fire time `accept` takes.
    private func walk(from instant: Date, in zone: TimeZone, forward: Bool, accept: (Date) -> Bool) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let step: TimeInterval = forward ? 86_400 : -86_400
        let localStart = instant.addingTimeInterval(TimeInterval(zone.secondsFromGMT(for: instant)))
        guard var day = calendar.date(from: calendar.dateComponents([.year, .month, .day], from: localStart))?.addingTimeInterval(-step) else { return nil }
        let hourOrder = forward ? Array(hours) : hours.reversed()
        let minuteOrder = forward ? Array(minutes) : minutes.reversed()
        for _ in 0..<(366 * 5 + 2) {
            let c = calendar.dateComponents([.month, .day, .weekday], from: day)
            if matches(day: c.day!, month: c.month!, weekday: c.weekday! - 1) {
                for h in hourOrder {
                    for m in minuteOrder {
                        let fire = CronExpression.instant(forWallClock: day.addingTimeInterval(TimeInterval(h * 3600 + m * 60)), in: zone)
                        if accept(fire) { return fire }
                    }
                }
            }
            day = day.addingTimeInterval(step)
        }
        return nil
    }

    /// The next `count` fire times after `instant`.
    public func next(_ count: Int, after instant: Date, in zone: TimeZone) -> [Date] {
        var out: [Date] = []
        var t = instant
        while out.count < count, let n = next(after: t, in: zone) {
            out.append(n)
            t = n
        }
        return out
    }

    /// The instant a local wall-clock time (given as if it were UTC) happens in `zone`: the first
    /// occurrence when it happens twice, shifted forward by the gap when it does not happen.
    static func instant(forWallClock wall: Date, in zone: TimeZone) -> Date {
        // Candidate offsets are those in force a day either side of the wall-clock time.
        let offsets = Set([zone.secondsFromGMT(for: wall.addingTimeInterval(-86_400)), zone.secondsFromGMT(for: wall),
                           zone.secondsFromGMT(for: wall.addingTimeInterval(86_400))])
        let valid = offsets.map { wall.addingTimeInterval(TimeInterval(-$0)) }
            .filter { zone.secondsFromGMT(for: $0) == Int(wall.timeIntervalSince($0)) }
        if let first = valid.min() { return first }
        // Skipped: read the wall-clock time with the offset in force before the change.
        let before = offsets.min() ?? 0
        return wall.addingTimeInterval(TimeInterval(-before))
    }
}
