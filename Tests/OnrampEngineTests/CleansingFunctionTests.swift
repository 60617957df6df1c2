import Foundation
import OnrampCore
import OnrampExpression
import OnrampTransforms
import Testing

/// Evaluates `source` with the cleansing functions; `$a`, `$b`, `$c` are bound to the given values so that
/// test texts need no JSONata escaping.
func clean(_ source: String, _ a: Value? = nil, _ b: Value? = nil, _ c: Value? = nil) throws -> Value? {
    var bindings: [String: Value] = [:]
    if let a { bindings["a"] = a }
    if let b { bindings["b"] = b }
    if let c { bindings["c"] = c }
    return try JSONata(source).evaluate(nil, bindings: bindings, functions: CleansingFunctions.registry)
}

/// The code and message of the error `source` gives, or nil when it gives none.
func cleanFailure(_ source: String, _ a: Value? = nil, _ b: Value? = nil, _ c: Value? = nil) -> (code: String, message: String)? {
    do { _ = try clean(source, a, b, c); return nil } catch let e as JSONataError { return (e.code, e.message) } catch {
        return ("?", "\(error)")
    }
}

/// $parseDecimal, $money, $currencyCode, $hash and $uuid.
@Suite struct CleansingFunctionTests {
    static let decimals: [(String, Double)] = [
        ("1.234,56", 1234.56), ("1,234.56", 1234.56), ("1 234,56", 1234.56), ("1\u{A0}234,56", 1234.56),
        ("1\u{202F}234,56", 1234.56), ("1'234.56", 1234.56), ("1’234.56", 1234.56), ("(12.00)", -12), ("12.00-", -12),
        ("+12", 12), ("-12.5", -12.5), ("\u{2212}12", -12), ("€ 1.234,56", 1234.56), ("1,234.56 USD", 1234.56),
        ("$12", 12), ("-$12", -12), ("$-12", -12), ("US$ 1,000.00", 1000), ("CHF 1'234.50", 1234.5), ("Fr. 12.50", 12.5),
        ("12,50 €", 12.5), ("12 euros", 12), ("eur 3", 3), ("(€ 7,50)", -7.5),
        // A lone separator is the decimal one, also before three digits (the documented rule).
        ("1.234", 1.234), ("1,234", 1.234), ("12,5", 12.5),
        ("1.234.567", 1_234_567), ("1,234,567", 1_234_567), ("1 234 567", 1_234_567), ("1.234.567,89", 1_234_567.89),
        ("1,234,567.89", 1_234_567.89), ("1,23,456.78", 123_456.78), ("0,5", 0.5), (",5", 0.5), ("-.5", -0.5),
        ("  42  ", 42), ("007", 7), ("0", 0), ("-0", 0), ("0.000", 0), ("123456789012345", 123_456_789_012_345),
        ("1234567890.12345", 1_234_567_890.12345), ("0.000000000000001", 1e-15), ("100000000000000000000", 1e20),
        ("12.3400000000000000000", 12.34), ("0.1", 0.1), ("2.675", 2.675), ("9007199254740.99", 9_007_199_254_740.99),
    ]

    @Test(arguments: decimals) func parsesDecimalText(_ text: String, _ expected: Double) throws {
        #expect(try clean("$parseDecimal($a)", .string(text)) == .number(expected), "\(text)")
    }

    @Test func givenSeparatorsDecide() throws {
        let cases: [(String, String, String?, Double)] = [
            ("1.234", ",", nil, 1234), ("1,234", ".", nil, 1234), ("1.234,5", ",", ".", 1234.5),
            ("1 234,5", ",", " ", 1234.5), ("1'234.5", ".", "'", 1234.5), ("12", ",", nil, 12), ("3,14", ",", nil, 3.14),
            // An empty separator is the same as none: inferred (was: '.', making "1,5" fifteen).
            ("1,5", "", nil, 1.5),
        ]
        for (text, decimal, group, expected) in cases {
            let v = try clean("$parseDecimal($a, $b, $c)", .string(text), .string(decimal), group.map(Value.string))
            #expect(v == .number(expected), "\(text) \(decimal) \(group ?? "-")")
        }
        #expect(try clean("$parseDecimal(12.5)") == 12.5)
        #expect(try clean("$parseDecimal($a)", .string("   ")) == nil)
        #expect(try clean("$parseDecimal(undefined)") == nil)
        #expect(try clean("$parseDecimal($a)", .string("")) == nil)
    }

    @Test func refusesWhatIsNoDecimal() throws {
        let cases: [(String, String)] = [
            ("abc", "expected digits"), ("12abc", "found 'abc'"), ("1.2.3", "groups of three digits"),
            ("1,234,56", "groups of three digits"), ("1.234,56.7", "after the decimal separator"),
            ("1234567890123456", "more than 15 significant digits"), ("0.1234567890123456", "more than 15 significant"),
            ("--12", "more than one sign"), ("(12))", "more than one sign"), ("-(12)", "more than one sign"),
            ("(12", "unbalanced parentheses"), ("12 kg", "found 'kg'"), ("€ $12", "more than one currency"),
            ("€$12", "found '€$'"), ("1e5", "found 'e'"), ("1 234.567,89", "mixed group separators"),
            ("12..5", "groups of three"), ("1" + String(repeating: "0", count: 400), "out of the range"),
            ("0." + String(repeating: "0", count: 400) + "1", "out of the range"), ("NaN", "expected digits"),
            ("Infinity", "expected digits"), ("12 XYZ", "found 'XYZ'"),
        ]
        for (text, reason) in cases {
            let failure = cleanFailure("$parseDecimal($a)", .string(text))
            #expect(failure?.code == "clean.decimal", "\(text): \(String(describing: failure))")
            #expect(failure?.message.contains("is not a decimal number: ") == true && failure?.message.contains(reason) == true,
                    "\(text): \(failure?.message ?? "no error")")
        }
        #expect(cleanFailure("$parseDecimal($a)", .string("12abc"))?.message == "'12abc' is not a decimal number: "
                + "expected a sign or a currency after the number, found 'abc'")
        #expect(cleanFailure("$parseDecimal($a, $b)", .string("1.5"), .string(";"))?.code == "clean.decimal")
        #expect(cleanFailure("$parseDecimal($a, $b, $c)", .string("1.5"), .string("."), .string("."))?.code == "clean.decimal")
        // With the decimal comma given, a dot groups: "1.5" is no number with groups of three.
        #expect(cleanFailure("$parseDecimal($a, $b)", .string("1.5"), .string(","))?.message.contains("groups of three") == true)
    }

    @Test func hostileTextIsAnErrorOrUndefinedQuickly() throws {
        let mega = 1 << 20
        let clock = ContinuousClock()
        let start = clock.now
        do {
            #expect(cleanFailure("$parseDecimal($a)", .string(String(repeating: "1", count: mega)))?.code == "clean.decimal")
            #expect(try clean("$parseDecimal($a)", .string(String(repeating: "0", count: mega))) == 0)
            #expect(try clean("$parseDecimal($a)", .string(String(repeating: " ", count: mega))) == nil)
            let letters = cleanFailure("$parseDecimal($a)", .string(String(repeating: "a", count: mega) + "1"))
            #expect(letters?.code == "clean.decimal" && (letters?.message.count ?? .max) < 400, "\(letters?.message.prefix(500) ?? "")")
            #expect(cleanFailure("$parseDecimal($a)", .string("1" + String(repeating: ",000", count: mega / 4)))?.code
                    == "clean.decimal")
            #expect(cleanFailure("$money($a)", .string(String(repeating: "9", count: mega)))?.code == "clean.decimal")
            #expect(cleanFailure("$countryCode($a)", .string(String(repeating: "Ö", count: mega)))?.code == "clean.country")
            #expect(cleanFailure("$currencyCode($a)", .string(String(repeating: "$", count: mega)))?.code == "clean.currency")
        }
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(10), "\(elapsed)")
    }

    @Test func moneyRoundsHalfAwayFromZeroOnTheDecimal() throws {
        let cases: [(Value, Double?, Double)] = [
            (2.675, 2, 2.68), (-0.125, 2, -0.13), (1.005, 2, 1.01), (1.005, nil, 1.01), (2.5, 0, 3), (-2.5, 0, -3),
            (0.5, 0, 1), (1234.5678, 2, 1234.57), (1e300, 2, 1e300), (0.0001, 2, 0), (-0.004, 2, 0), (125, -1, 130),
            (1.15, 1, 1.2), (1.25, 1, 1.3), (8.345, 2, 8.35), (0.285, 2, 0.29), (1.0000000000000002, 2, 1),
            (12, 2, 12), (-1.5e-7, 7, -2e-7), ("1.005", 2, 1.01), ("2,675", 2, 2.68), ("1.234,565", 2, 1234.57),
        ]
        for (value, decimals, expected) in cases {
            let v = try clean(decimals == nil ? "$money($a)" : "$money($a, $b)", value, decimals.map(Value.number))
            #expect(v == .number(expected), "\(value) \(decimals ?? 2)")
        }
        // JSONata's $round rounds half to even and on the binary value: the reason $money exists.
        #expect(try clean("$round(2.5)") == 2 && clean("$money(2.5, 0)") == 3)
        #expect(try clean("$round(1.005, 2)") == 1 && clean("$round(-0.125, 2)") == -0.12)
        #expect(try clean("$money(undefined)") == nil)
        for bad in ["$money(1, 2.5)", "$money(1, 99)", #"$money("abc")"#] {
            #expect(["clean.money", "clean.decimal"].contains(cleanFailure(bad)?.code ?? ""), "\(bad)")
        }
    }

    @Test func currencyCodes() throws {
        let plain: [(String, String)] = [
            ("€", "EUR"), ("EUR", "EUR"), ("eur", "EUR"), (" EUR ", "EUR"), ("$", "USD"), ("US$", "USD"), ("£", "GBP"),
            ("CHF", "CHF"), ("Fr.", "CHF"), ("euro", "EUR"), ("Euro", "EUR"), ("Dollar", "USD"), ("dollars", "USD"),
            ("Swiss Franc", "CHF"), ("Schweizer Franken", "CHF"), ("Pound Sterling", "GBP"), ("978", "EUR"),
            ("¥", "JPY"), ("R$", "BRL"), ("zł", "PLN"), ("złoty", "PLN"), ("Kč", "CZK"), ("₹", "INR"), ("C$", "CAD"),
            ("Canadian Dollar", "CAD"), ("Yen", "JPY"), ("renminbi", "CNY"), ("jpy", "JPY"),
        ]
        for (text, code) in plain { #expect(try clean("$currencyCode($a)", .string(text)) == .string(code), "\(text)") }
        let local: [(String, String, String)] = [
            ("$", "CA", "CAD"), ("$", "Canada", "CAD"), ("$", "Mexico", "MXN"), ("$", "AUS", "AUD"), ("$", "DE", "USD"),
            ("kr", "SE", "SEK"), ("kr", "Norway", "NOK"), ("kr.", "Danmark", "DKK"), ("¥", "CN", "CNY"),
            ("peso", "AR", "ARS"), ("dollar", "NZ", "NZD"), ("£", "EG", "EGP"), ("EUR", "US", "EUR"),
        ]
        for (text, country, code) in local {
            #expect(try clean("$currencyCode($a, $b)", .string(text), .string(country)) == .string(code), "\(text) \(country)")
        }
        #expect(cleanFailure("$currencyCode($a)", .string("kr"))?.message.contains("several countries") == true)
        #expect(cleanFailure("$currencyCode($a)", .string("xyz"))?.code == "clean.currency")
        #expect(cleanFailure("$currencyCode($a)", .string("xyz"))?.message.hasPrefix("'xyz' is not a currency") == true)
        #expect(cleanFailure("$currencyCode($a, $b)", .string("$"), .string("Atlantis"))?.code == "clean.currency")
        #expect(try clean("$currencyCode(undefined)") == nil)
    }

    @Test func hashesAndUUIDs() throws {
        #expect(try clean(#"$hash("abc")"#) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try clean(#"$hash("abc", "sha256")"#) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try clean(#"$hash("abc", "sha1")"#) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(try clean(#"$hash("abc", "MD5")"#) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(try clean(#"$hash({"a": 1})"#) == "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862")
        #expect(try clean(#"$hash(undefined)"#) == nil)
        #expect(cleanFailure(#"$hash("abc", "crc32")"#)?.code == "clean.hash")
        let a = try #require(try clean("$uuid()")?.stringValue)
        let b = try #require(try clean("$uuid()")?.stringValue)
        #expect(a != b)
        let chars = Array(a)
        #expect(chars.count == 36 && chars[14] == "4" && "89ab".contains(chars[19]) && a == a.lowercased(), "\(a)")
        #expect(UUID(uuidString: a) != nil)
    }

    @Test func errorsKeepTheirCodeThroughASetStep() throws {
        // The step's record error carries the function's code (expr.clean.decimal), so reports group by it.
        let e = try #require(cleanFailure("$parseDecimal($a)", .string("zwei")))
        #expect(e.code == "clean.decimal" && e.message == "'zwei' is not a decimal number: expected digits")
    }
}
