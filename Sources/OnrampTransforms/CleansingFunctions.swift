import Foundation
import OnrampCore
import OnrampExpression

/// Onramp's own JSONata functions for cleaning ERP data, available in every step expression.
public enum CleansingFunctions {
    public static let registry: JSONata.FunctionRegistry = {
        var r = JSONata.FunctionRegistry()
        // $parseDecimal("1.234,56", ",") -> 1234.56: numbers written with a decimal comma and group separators.
        r.register("parseDecimal", signature: "<s-s?:n>", arity: 2) { args in
            guard case .string(let raw)? = args[0] else { return nil }
            var decimalSeparator = args.count > 1 ? (args[1]?.stringValue ?? ".") : "."
            if decimalSeparator.isEmpty { decimalSeparator = "." }
            var s = raw.trimmingCharacters(in: .whitespaces)
            if s.isEmpty { return nil }
            let group = decimalSeparator == "," ? "." : ","
            s = s.replacingOccurrences(of: group, with: "").replacingOccurrences(of: " ", with: "")
            s = s.replacingOccurrences(of: decimalSeparator, with: ".")
            guard s.range(of: #"^[-+]?[0-9]+(\.[0-9]+)?$"#, options: .regularExpression) != nil,
                  let d = Double(s), d.isFinite else {
                throw OnrampError("clean.decimal", "'\(raw)' is not a decimal number")
            }
            return .number(d)
        }
        // $parseDate("03.11.2026", "DD.MM.YYYY") -> "2026-11-03": day-first, month-first or ISO dates to ISO.
        r.register("parseDate", signature: "<s-s:s>", arity: 2) { args in
            guard case .string(let raw)? = args[0], case .string(let format)? = args[1] else { return nil }
            let digits = raw.split(whereSeparator: { !$0.isNumber }).map(String.init)
            let parts = format.split(whereSeparator: { !$0.isLetter }).map(String.init)
            guard digits.count == 3, parts.count == 3 else { throw OnrampError("clean.date", "'\(raw)' does not match \(format)") }
            var y = 0, m = 0, d = 0
            for (p, v) in zip(parts, digits) {
                // Nine digits at most, so that the year arithmetic below cannot overflow; more is no date.
                guard v.count <= 9, let number = Int(v) else {
                    throw OnrampError("clean.date", "'\(raw)' is not a calendar date (\(format))")
                }
                switch p.uppercased() {
                case "YYYY": y = number
                case "YY": y = 2000 + number
                case "MM", "M": m = number
                case "DD", "D": d = number
                default: break
                }
            }
            let daysInMonth = [31, (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            guard (1...12).contains(m), y > 0, (1...daysInMonth[m - 1]).contains(d) else {
                throw OnrampError("clean.date", "'\(raw)' is not a calendar date (\(format))")
            }
            return .string(String(format: "%04d-%02d-%02d", y, m, d))
        }
        // $regionCode("California", "US") -> "CA": US state and Canadian province names to codes.
        r.register("regionCode", signature: "<s-s?:s>", arity: 2) { args in
            guard case .string(let raw)? = args[0] else { return nil }
            let name = raw.trimmingCharacters(in: .whitespaces)
            if name.count == 2 { return .string(name.uppercased()) }
            return Regions.code(for: name).map(Value.string)
        }
        return r
    }()
}
