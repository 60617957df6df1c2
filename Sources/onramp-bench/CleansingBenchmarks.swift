import Foundation
import OnrampCore
import OnrampExpression
import OnrampTransforms

/// `onramp-bench cleansing`: 1M calls each of `$parseDecimal`, `$countryCode` and `$parseDate` through JSONata
/// on records (one thread), beside the first release's `$parseDecimal` (regex + Foundation replacement per
/// call), kept here only as the peer.
func benchCleansing() throws {
    // Texts the first release reads too, and ones only the new one does.
    let amounts = ["1.234,56", "12,50", "1.234.567,89", "-7,25", "0,99", "1 234,00", "3,14", "100,00"]
    let rich = ["€ 1.234,56", "1,234.56 USD", "(7,25)", "12.00-", "1'234.50", "$12", "1\u{A0}234,56", "CHF 99.95"]
    let countries = ["Deutschland", "DE", "Österreich", "United States of America", "FRA", "Schweiz", "U.S.A.", "276"]
    let dates = ["03.11.2026", "31.12.1999", "01.01.2000", "29.02.2024", "15.08.2026", "7.3.2026", "28.02.2025", "1.1.1970"]
    var records: [Value] = []
    for i in 0..<1000 {
        records.append(["amount": .string(amounts[i % 8]), "rich": .string(rich[i % 8]),
                        "country": .string(countries[(i / 8) % 8]), "date": .string(dates[(i / 64) % 8])])
    }
    var functions = CleansingFunctions.registry
    functions.register("parseDecimalFirstRelease", signature: "<s-s?:n>", arity: 2, firstReleaseParseDecimal)
    let calls = Int(ProcessInfo.processInfo.environment["BENCH_CALLS"] ?? "1000000") ?? 1_000_000

    func rate(_ source: String, functions: JSONata.FunctionRegistry = functions) throws -> Double {
        let expr = try JSONata(source)
        let clock = ContinuousClock()
        var results = 0
        let elapsed = try clock.measure {
            for i in 0..<calls where try expr.evaluate(records[i % records.count], functions: functions) != nil { results += 1 }
        }
        guard results == calls else { throw OnrampError("bench.cleansing", "\(source): \(calls - results) calls gave nothing") }
        return Double(calls) / seconds(elapsed)
    }
    let bare = try rate("$trim(amount)", functions: JSONata.FunctionRegistry())
    let baseline = try rate("$trim(amount)")
    let decimal = try rate(#"$parseDecimal(amount, ",")"#)
    let inferred = try rate("$parseDecimal(rich)")
    let firstRelease = try rate(#"$parseDecimalFirstRelease(amount, ",")"#)
    let country = try rate("$countryCode(country)")
    let date = try rate(#"$parseDate(date, "DD.MM.YYYY")"#)
    func show(_ name: String, _ r: Double) { print("onramp cleansing \(name): \(Int(r)) calls/s (\(calls) calls, 1 thread)") }
    show("$trim, no registered functions", bare)
    show("$trim (JSONata call baseline, with the cleansing functions registered)", baseline)
    show("$parseDecimal (decimal comma given)", decimal)
    show("$parseDecimal (inferred; currencies, parentheses, trailing minus)", inferred)
    show("$parseDecimal, first release (regex + replacement)", firstRelease)
    show("$countryCode", country)
    show("$parseDate", date)
    print("ratio $parseDecimal new/first release: \(String(format: "%.2f", decimal / firstRelease))x; "
          + "without the JSONata call (baseline subtracted): "
          + String(format: "%.1f", (1 / firstRelease - 1 / baseline) / (1 / decimal - 1 / baseline)) + "x")
    // Foundation's folding, the alternative to the own accent table $countryCode uses: the folding alone.
    let clock = ContinuousClock()
    var folded = 0
    let foldTime = clock.measure {
        for i in 0..<calls {
            folded += countries[i % 8].folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).utf8.count
        }
    }
    print("Foundation folding(options: [.caseInsensitive, .diacriticInsensitive]) alone: "
          + "\(Int(Double(calls) / seconds(foldTime))) calls/s (\(folded) bytes)")
}

/// The first release's `$parseDecimal`, verbatim: the benchmark's peer.
@Sendable func firstReleaseParseDecimal(_ args: [Value?]) throws -> Value? {
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
