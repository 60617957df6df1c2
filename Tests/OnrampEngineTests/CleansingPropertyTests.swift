import Foundation
import OnrampCore
import OnrampExpression
import Testing

/// Seeded random input for the cleansing functions: numbers written in every ERP style read back exactly,
/// and random text is a value or a `clean.*` error, never a trap.
@Suite struct CleansingPropertyTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// `digits` grouped by threes with `group`, then `decimal` and `fraction` when there is one.
    static func written(_ digits: String, _ fraction: String, group: String, decimal: String) -> String {
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += group }
            out.append(c)
        }
        return fraction.isEmpty ? out : out + decimal + fraction
    }

    @Test func numbersInEveryStyleReadBackExactly() throws {
        var rng = SplitMix(state: 12)
        let styles = [(".", ","), (",", "."), ("'", "."), ("\u{A0}", ","), (" ", ","), ("\u{202F}", "."), ("", ".")]
        let signs: [(String, String)] = [("-", ""), ("", "-"), ("(", ")"), ("− ", "")]
        let currencies: [(String, String)] = [("", ""), ("€ ", ""), ("", " EUR"), ("$", ""), ("", " CHF"), ("US$ ", "")]
        for _ in 0..<1_500 {
            let significant = Int.random(in: 1...15, using: &rng)
            let m = UInt64.random(in: 1...(UInt64(pow(10, Double(significant))) - 1), using: &rng)
            let k = Int.random(in: 0...min(significant, 8), using: &rng)
            var text = String(m)
            while text.count <= k { text = "0" + text }
            let whole = String(text.dropLast(k)), fraction = String(text.suffix(k))
            let (group, decimal) = styles.randomElement(using: &rng)!
            var body = Self.written(whole, fraction, group: group, decimal: decimal)
            let negative = Bool.random(using: &rng)
            if negative { let (a, b) = signs.randomElement(using: &rng)!; body = a + body + b }
            let (before, after) = currencies.randomElement(using: &rng)!
            body = before + body + after
            let expected = (negative ? -1 : 1) * Double(whole + "." + (fraction.isEmpty ? "0" : fraction))!
            // One group and no fraction is the ambiguous case of the inference: then the separator is given.
            let infer = k > 0 || (group != "." && group != ",") || whole.count <= 3 || whole.count > 6
            let v = infer ? try clean("$parseDecimal($a)", .string(body)) :
                try clean("$parseDecimal($a, $b)", .string(body), .string(decimal))
            #expect(v == .number(expected == 0 ? 0 : expected), "\(body) → \(expected)")
        }
    }

    @Test func randomTextIsAValueOrACleanError() throws {
        var rng = SplitMix(state: 7)
        let alphabet = ["0", "1", "2", "9", ".", ",", " ", "\u{A0}", "'", "-", "+", "(", ")", "€", "$", "E", "e", "D",
                        "M", "Y", "H", "h", "m", "s", "S", "a", "p", "Z", ":", "/", "ä", "é", "\u{308}", "ß", "März",
                        "Mai", "US", "EUR", "kr", "T", "x"]
        func random(_ n: Int) -> String {
            (0..<Int.random(in: 0...n, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
        }
        let calls = ["$parseDecimal($a)", "$parseDecimal($a, $b)", "$parseDecimal($a, ',', $b)", "$parseDate($a, $b)",
                     "$parseDate($a, 'DD.MM.YYYY')", "$parseDate($a, 'excel')", "$parseDateTime($a, $b, $c)",
                     "$parseDateTime($a, 'YYYY-MM-DDTHH:mm:ssZ', $b)", "$countryCode($a)", "$currencyCode($a, $b)",
                     "$regionCode($b, $a)", "$regionCode('US', $a)", "$money($a)", "$money($a, 3)", "$hash($a, $b)"]
        var values = 0, errors = 0
        for i in 0..<8_000 {
            let (a, b, c) = (random(14), random(8), random(6))
            let call = calls[i % calls.count]
            do {
                _ = try clean(call, .string(a), .string(b), .string(c))
                values += 1
            } catch let e as JSONataError {
                #expect(e.code.hasPrefix("clean."), "\(call) a=\(a) b=\(b) c=\(c): \(e.code) \(e.message)")
                #expect(!e.message.isEmpty && e.message.count < 600)
                errors += 1
            }
        }
        #expect(values > 200 && errors > 200, "\(values) values, \(errors) errors")
    }
}
