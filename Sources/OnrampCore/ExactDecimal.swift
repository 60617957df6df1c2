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
            return Decimal(string: NumberFormatting.javaScript(n), locale: posix)
        case .string(let s):
            guard isPlainDecimal(s) else { return nil }
            return Decimal(string: s, locale: posix)
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
