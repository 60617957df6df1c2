import Foundation

/// Exact decimal arithmetic for money totals: each number enters as the decimal it prints as (the shortest text
/// that reads back as the same double, as JavaScript prints it), so `0.1 + 0.2` is `0.3`, not `0.30000000000000004`.
public enum ExactDecimal {
    static let posix = Locale(identifier: "en_US_POSIX")

    /// The decimal a value holds: a number, or a string of a plain decimal number; nil for anything else.
    public static func decimal(_ v: Value) -> Decimal? {
        switch v {
        case .number(let n):
            guard n.isFinite else { return nil }
            let text = NumberFormatting.javaScript(n)
            return parse(text) ?? Decimal(string: text, locale: posix)
        case .string(let s):
            guard isPlainDecimal(s) else { return nil }
            return parse(s) ?? Decimal(string: s, locale: posix)
        default: return nil
        }
    }

    /// `[+-]digits[.digits]` (or `.digits`) with at most 38 digits: what `Decimal` reads whole and exactly (it would
    /// read `1.234.56` as 1.234, a prefix, so nothing else is handed to it).
    public static func isPlainDecimal(_ s: String) -> Bool {
        var digits = 0, dots = 0, index = 0
        for c in s.utf8 {
            defer { index += 1 }
            if c >= 48 && c <= 57 { digits += 1 } else if c == 46 { dots += 1 } else if (c == 43 || c == 45) && index == 0 {
                continue
            } else { return false }
        }
        return digits > 0 && digits <= 38 && dots <= 1
    }

    /// The decimal of `[+-]digits[.digits][e[+-]digits]` with at most 19 significant digits, built from its integer
    /// significand (the general parser is many times slower); nil for anything else, which callers read the slow way.
    static func parse(_ text: String) -> Decimal? {
        var significand: UInt64 = 0
        var digits = 0, fraction = 0, exponent = 0
        var negative = false, seenPoint = false, anyDigit = false, first = true
        var utf8 = text.utf8.makeIterator()
        while let c = utf8.next() {
            defer { first = false }
            switch c {
            case 48...57:
                anyDigit = true
                if significand > 0 || c != 48 {
                    guard digits < 19 else { return nil }
                    digits += 1
                }
                significand = significand * 10 + UInt64(c - 48)
                if seenPoint { fraction += 1 }
            case 46:
                guard !seenPoint else { return nil }
                seenPoint = true
            case 43, 45:
                guard first else { return nil }
                negative = c == 45
            case 101, 69:
                guard anyDigit, let e = exponentPart(&utf8) else { return nil }
                exponent = e
            default: return nil
            }
        }
        guard anyDigit else { return nil }
        if significand == 0 { return Decimal(0) }
        let scale = exponent - fraction
        guard scale >= -127, scale <= 127 else { return nil }
        return Decimal(sign: negative ? .minus : .plus, exponent: scale, significand: Decimal(significand))
    }

    /// The rest of the text after `e`: `[+-]digits`, at most 4 of them.
    private static func exponentPart(_ utf8: inout String.UTF8View.Iterator) -> Int? {
        var e = 0, sign = 1, count = 0, first = true
        while let d = utf8.next() {
            defer { first = false }
            switch d {
            case 43 where first: continue
            case 45 where first: sign = -1
            case 48...57:
                guard count < 4 else { return nil }
                e = e * 10 + Int(d - 48)
                count += 1
            default: return nil
            }
        }
        return count > 0 ? sign * e : nil
    }

    /// The double nearest to `d`: the same as reading its text, but without printing it when its significand is below
    /// 2^53 and its exponent small (one correctly rounded division or multiplication of exact operands is then exact).
    public static func double(_ d: Decimal) -> Double {
        let e = d.exponent
        if !d.isNaN, abs(e) <= 22 {
            let significand = d.significand
            if significand < twoTo53 {
                let m = Double(NSDecimalNumber(decimal: significand).uint64Value)
                let x = e < 0 ? m / powersOfTen[-e] : m * powersOfTen[e]
                return d.sign == .minus ? -x : x
            }
        }
        return Double(text(d)) ?? Double(truncating: NSDecimalNumber(decimal: d))
    }

    private static let twoTo53 = Decimal(UInt64(1) << 53)
    /// 10^0 … 10^22, each exact (5^22 < 2^53), built by exact multiplications.
    private static let powersOfTen: [Double] = (0...22).map { i in (0..<i).reduce(1.0) { p, _ in p * 10 } }

    /// The plain decimal text of `d` (`1234.5`, `-0.01`).
    public static func text(_ d: Decimal) -> String { NSDecimalNumber(decimal: d).description(withLocale: posix) }

    /// `d` as a JSON number when it has at most 15 significant digits (it reads back exactly), else as text.
    public static func value(_ d: Decimal) -> Value {
        let text = text(d)
        let digits = text.utf8.filter { $0 >= 48 && $0 <= 57 }.drop { $0 == 48 }.count
        if digits <= 15, let n = Double(text) { return .number(n) }
        return .string(text)
    }
}
