extension DecimalText {
    /// What surrounds the digits: spaces, one sign (`+`, `-`, `−`, a trailing minus or parentheses) and one
    /// currency (a symbol such as `€`, `US$`, `Fr.` or an ISO 4217 code), before or after the number.
    struct Affixes {
        var negative = false
        var openParen = false
        var closeParen = false
        private var signs = 0
        private var currencies = 0

        /// Reads `b[from..<to]`; returns why it is not a number's affix, or nil.
        mutating func read(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, prefix: Bool) -> String? {
            var i = from
            let place = prefix ? "before" : "after"
            while i < to {
                let (c, n) = DecimalText.token(b, i)
                switch c {
                case DecimalText.space: i += n; continue
                case 0x2B, DecimalText.minus, 0x28, 0x29:
                    let paren = c == 0x28 || c == 0x29
                    if paren && (c == 0x28) != prefix {
                        return "expected a sign or a currency \(place) the number, found \(DecimalText.describe(b, i))"
                    }
                    if c != 0x29 { signs += 1 }  // the parentheses are one sign
                    if signs > 1 || (c == 0x29 && closeParen) { return "more than one sign" }
                    if c == DecimalText.minus { negative = true }
                    if c == 0x28 { openParen = true }
                    if c == 0x29 { closeParen = true }
                    i += n
                    continue
                default: break
                }
                var end = i
                while end < to {
                    let (k, m) = DecimalText.token(b, end)
                    if k == DecimalText.space || k == 0x2B || k == DecimalText.minus || k == 0x28 || k == 0x29
                        || (k >= 0x30 && k <= 0x39) { break }
                    end += m
                }
                guard Currencies.isAffix(UnsafeBufferPointer(rebasing: b[i..<end])) else {
                    let shown = UnsafeBufferPointer(rebasing: b[i..<min(end, i + 64)])
                    return "expected a sign or a currency \(place) the number, found "
                        + CleansingText.quote(String(decoding: shown, as: UTF8.self))
                }
                currencies += 1
                if currencies > 1 { return "more than one currency" }
                i = end
            }
            return nil
        }
    }
}
