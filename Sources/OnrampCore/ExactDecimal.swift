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
            guard !s.isEmpty, s.utf8.count <= 40,
                  s.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 || $0 == 43 }) else { return nil }
            return Decimal(string: s, locale: posix)
        default: return nil
        }
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
