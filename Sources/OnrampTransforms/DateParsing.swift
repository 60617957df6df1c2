import Foundation
import OnrampCore
import OnrampExpression

/// Dates and times read with a picture such as `DD.MM.YYYY`, `MM/DD/YY`, `D MMMM YYYY`, `YYYYMMDD` or
/// `DD.MM.YYYY HH:mm:ss`, walked together with the text in one pass, and written as ISO 8601.
///
/// Picture letters: `YYYY` (four digits), `YY` (00–68 → 20xx, 69–99 → 19xx, as POSIX `strptime`), `M`/`MM`
/// (month), `MMM`/`MMMM` (month name), `D`/`DD` (day), `ddd`/`dddd`/`EEE` (weekday name, ignored), `H`/`HH`,
/// `h`/`hh` with `a` (am/pm), `m`/`mm`, `s`/`ss`, `S…`/`f…` (fraction), `Z`/`X` (`Z`, `+01:00`, `+0100`).
/// A number directly followed by another takes exactly its width; otherwise up to it. A space matches any
/// run of spaces; `'quoted text'` and other characters match themselves (letters ignoring case).
enum DateParsing {
    struct Failure: Error { let reason: String }

    struct Fields {
        var year: Int?, month: Int?, day: Int?
        var hour: Int?, hour12: Int?, minute = 0, second = 0
        var pm: Bool?
        /// The fraction digits as written (at most 9).
        var fraction: [UInt8] = []
        var offsetMinutes: Int?
    }

    static func fields(_ text: String, picture: String) throws(OnrampError) -> Fields {
        var text = text, picture = picture
        let result: Result<Fields, Failure> = picture.withUTF8 { p in text.withUTF8 { t in parse(t, p) } }
        switch result {
        case .success(let f): return f
        case .failure(let f):
            throw CleansingText.error("clean.date", text,
                                      "does not match the picture \(CleansingText.quote(picture)): \(f.reason)")
        }
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || c >= 0x80 }
    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
    /// The picture letters: Y y M D d H h m s S f a A Z X E.
    private static func isToken(_ c: UInt8) -> Bool {
        switch c {
        case 0x59, 0x79, 0x4D, 0x44, 0x64, 0x48, 0x68, 0x6D, 0x73, 0x53, 0x66, 0x61, 0x41, 0x5A, 0x58, 0x45: return true
        default: return false
        }
    }

    /// Whether a run of `letter` × `count` is a number field (the others are names, am/pm and zones).
    private static func isNumeric(_ letter: UInt8, _ count: Int) -> Bool {
        switch letter {
        case 0x4D: return count <= 2  // M
        case 0x44, 0x64: return count <= 2  // D d
        case 0x59, 0x79, 0x48, 0x68, 0x6D, 0x73, 0x53, 0x66: return true
        default: return false
        }
    }

    private static func run(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        var j = i
        while j < p.count && p[j] == p[i] { j += 1 }
        return j - i
    }

    static func parse(_ t: UnsafeBufferPointer<UInt8>, _ p: UnsafeBufferPointer<UInt8>) -> Result<Fields, Failure> {
        var f = Fields()
        var pi = 0, ti = 0
        while ti < t.count && isSpace(t[ti]) { ti += 1 }
        while pi < p.count {
            let c = p[pi]
            if c == 0x27 {  // 'de': quoted text matches itself
                var q = pi + 1
                while q < p.count && p[q] != 0x27 {
                    guard ti < t.count, t[ti] | 0x20 == p[q] | 0x20 else {
                        return .failure(Failure(reason: "expected the picture's quoted text at character \(ti + 1)"))
                    }
                    q += 1; ti += 1
                }
                pi = q + 1
                continue
            }
            guard isToken(c) else {
                if isSpace(c) {
                    while ti < t.count && (isSpace(t[ti]) || (t[ti] == 0xC2 && ti + 1 < t.count && t[ti + 1] == 0xA0)) {
                        ti += t[ti] == 0xC2 ? 2 : 1
                    }
                } else {
                    guard ti < t.count, t[ti] == c || (isLetter(c) && c < 0x80 && t[ti] | 0x20 == c | 0x20) else {
                        return .failure(Failure(reason: ti < t.count ? "expected '\(Character(Unicode.Scalar(c)))' at "
                                                + "character \(ti + 1)" : "the text ends before the picture"))
                    }
                    ti += 1
                }
                pi += 1
                continue
            }
            let count = run(p, pi)
            let next = pi + count
            let fixed = next < p.count && isToken(p[next]) && isNumeric(p[next], run(p, next))
            if isNumeric(c, count) {
                if let reason = number(t, &ti, letter: c, count: count, fixed: fixed, into: &f) {
                    return .failure(Failure(reason: reason))
                }
            } else if let reason = word(t, &ti, letter: c, count: count, pictureNext: next < p.count ? p[next] : nil, into: &f) {
                return .failure(Failure(reason: reason))
            }
            pi = next
        }
        while ti < t.count && isSpace(t[ti]) { ti += 1 }
        if ti < t.count { return .failure(Failure(reason: "unexpected text after the date at character \(ti + 1)")) }
        return .success(f)
    }

    private static func fieldName(_ letter: UInt8, _ count: Int) -> String {
        String(repeating: Character(Unicode.Scalar(letter)), count: min(count, 5)) + (count > 5 ? "…" : "")
    }

    /// Reads one number field into `f`; returns why it cannot, or nil.
    private static func number(_ t: UnsafeBufferPointer<UInt8>, _ ti: inout Int, letter: UInt8, count: Int, fixed: Bool,
                               into f: inout Fields) -> String? {
        let isYear = letter == 0x59 || letter == 0x79
        let isFraction = letter == 0x53 || letter == 0x66
        if isYear && count != 2 && count != 4 { return "a year is YY or YYYY, not \(fieldName(letter, count))" }
        let width = isFraction ? (fixed ? min(count, 9) : 9) : (isYear ? count : 2)
        let minimum = isYear || fixed ? width : 1
        var value = 0, digits = 0
        let start = ti
        while ti < t.count && digits < width && isDigit(t[ti]) {
            if isFraction { f.fraction.append(t[ti]) } else { value = value * 10 + Int(t[ti] - 0x30) }
            digits += 1
            ti += 1
        }
        guard digits >= minimum else {
            return "expected \(minimum == width ? "\(width)" : "1 to \(width)") digits for \(fieldName(letter, count)) "
                + "at character \(start + 1)"
        }
        if !fixed && ti < t.count && isDigit(t[ti]) {
            return "too many digits for \(fieldName(letter, count)) at character \(start + 1)"
        }
        switch letter {
        case 0x59, 0x79: f.year = count == 2 ? (value < 69 ? 2000 + value : 1900 + value) : value
        case 0x4D: f.month = value
        case 0x44, 0x64: f.day = value
        case 0x48: f.hour = value
        case 0x68: f.hour12 = value
        case 0x6D: f.minute = value
        case 0x73: f.second = value
        default: break
        }
        return nil
    }

    /// Reads a month or weekday name, an am/pm marker or a zone into `f`; returns why it cannot, or nil.
    private static func word(_ t: UnsafeBufferPointer<UInt8>, _ ti: inout Int, letter: UInt8, count: Int,
                             pictureNext: UInt8?, into f: inout Fields) -> String? {
        let start = ti
        switch letter {
        case 0x5A, 0x58:  // Z X
            guard let minutes = zone(t, &ti) else { return "expected a zone (Z, +01:00, +0100) at character \(start + 1)" }
            f.offsetMinutes = minutes
            return nil
        default: break
        }
        while ti < t.count && (isLetter(t[ti]) || (t[ti] == 0x2D && ti + 1 < t.count && isLetter(t[ti + 1])
                                                   && letter != 0x4D)) { ti += 1 }
        if letter == 0x61 || letter == 0x41 {  // a A: am, pm, a.m., p.m.
            while ti < t.count && (isLetter(t[ti]) || t[ti] == 0x2E) { ti += 1 }
        }
        guard ti > start else { return "expected \(fieldName(letter, count)) at character \(start + 1)" }
        let key = TextFolding.key(UnsafeBufferPointer(rebasing: t[start..<ti]))
        // An abbreviation's dot (févr.) goes with it unless the picture has one next.
        if ti < t.count && t[ti] == 0x2E && pictureNext != 0x2E && letter != 0x61 && letter != 0x41 { ti += 1 }
        switch letter {
        case 0x4D:
            guard let month = monthByKey[key] else { return "\(quoted(t, start, ti)) is not a month name" }
            f.month = month
        case 0x61, 0x41:
            guard key == "am" || key == "pm" else { return "expected am or pm at character \(start + 1)" }
            f.pm = key == "pm"
        default:
            guard weekdayKeys.contains(key) else { return "\(quoted(t, start, ti)) is not a weekday name" }
        }
        return nil
    }

    private static func quoted(_ t: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
        CleansingText.quote(String(decoding: UnsafeBufferPointer(rebasing: t[from..<min(to, from + 64)]), as: UTF8.self))
    }

    /// `Z`, `UTC`, `GMT`, optionally followed by `+HH:MM`, `+HHMM` or `+HH` (also `−`): minutes east of UTC.
    static func zone(_ t: UnsafeBufferPointer<UInt8>, _ ti: inout Int) -> Int? {
        if ti < t.count && (t[ti] == 0x5A || t[ti] == 0x7A) { ti += 1; return 0 }
        var named = false
        for name in ["UTC", "GMT"] where ti + 3 <= t.count && zip(name.utf8, t[ti..<ti + 3]).allSatisfy({ $0 == $1 & 0xDF }) {
            ti += 3
            named = true
            break
        }
        guard ti < t.count else { return named ? 0 : nil }
        var sign = 0
        if t[ti] == 0x2B { sign = 1; ti += 1 } else if t[ti] == 0x2D { sign = -1; ti += 1 } else if t[ti] == 0xE2,
            ti + 2 < t.count, t[ti + 1] == 0x88, t[ti + 2] == 0x92 { sign = -1; ti += 3 }
        if sign == 0 { return named ? 0 : nil }
        func two() -> Int? {
            guard ti + 2 <= t.count, isDigit(t[ti]), isDigit(t[ti + 1]) else { return nil }
            defer { ti += 2 }
            return Int(t[ti] - 0x30) * 10 + Int(t[ti + 1] - 0x30)
        }
        // GMT+1 as some systems print it: one hour digit only after a name.
        let short = named && ti < t.count && isDigit(t[ti]) && (ti + 1 == t.count || !isDigit(t[ti + 1]))
        if short { ti += 1; return sign * Int(t[ti - 1] - 0x30) * 60 }
        guard let hours = two() else { return nil }
        var minutes = 0
        if ti < t.count && t[ti] == 0x3A {
            ti += 1
            guard let m = two() else { return nil }
            minutes = m
        } else if let m = two() {
            minutes = m
        }
        guard hours <= 18, minutes < 60 else { return nil }
        return sign * (hours * 60 + minutes)
    }
}
