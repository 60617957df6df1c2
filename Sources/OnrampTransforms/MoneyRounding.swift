import OnrampCore

/// Rounding half away from zero on the decimal a number prints as (its shortest round-trip text), as
/// TAXMAN rounds: `2.675` → 2.68 and `1.005` → 1.01, although the nearest doubles lie just below them.
enum MoneyRounding {
    private static let powers: [Double] = (0...22).map { p in (0..<p).reduce(1.0) { a, _ in a * 10 } }

    /// `value` rounded to `decimals` places (-15...15; negative rounds to tens, hundreds, …).
    static func round(_ value: Double, decimals: Int) -> Double {
        guard value.isFinite, value != 0 else { return value.isFinite ? 0 : value }
        var text = NumberFormatting.javaScript(value)
        return text.withUTF8 { round(text: $0, decimals: decimals) } ?? value
    }

    /// Digits and point position of JavaScript number text (`-1.25e-7`), rounded; nil if already exact.
    private static func round(text b: UnsafeBufferPointer<UInt8>, decimals: Int) -> Double? {
        var negative = false
        var point: Int?
        var exponent = 0
        var i = 0
        var digitList = [UInt8](); digitList.reserveCapacity(24)
        while i < b.count {
            let c = b[i]
            if c == 0x2D { negative = true } else if c == 0x2E { point = digitList.count } else if c == 0x65 {
                exponent = Int(String(decoding: UnsafeBufferPointer(rebasing: b[(i + 1)...]), as: UTF8.self)) ?? 0
                break
            } else { digitList.append(c - 0x30) }
            i += 1
        }
        // Leading zeros (0.00125) carry no digits: drop them, moving the point.
        var position = (point ?? digitList.count) + exponent
        while digitList.count > 1, digitList.first == 0 { digitList.removeFirst(); position -= 1 }
        let keep = position + decimals
        if keep >= digitList.count { return nil }
        if keep < 0 { return 0 }
        var m: UInt64 = 0
        for d in digitList[0..<keep] { m = m * 10 + UInt64(d) }
        if digitList[keep] >= 5 { m += 1 }
        if m == 0 { return 0 }
        let magnitude: Double
        if decimals >= 0 && decimals <= 22 && m < (1 << 53) {
            magnitude = Double(m) / powers[decimals]
        } else if decimals < 0 && -decimals <= 22 && m < (1 << 53) {
            magnitude = Double(m) * powers[-decimals]
        } else {
            magnitude = Double("\(m)e\(-decimals)") ?? 0
        }
        return negative ? -magnitude : magnitude
    }
}
