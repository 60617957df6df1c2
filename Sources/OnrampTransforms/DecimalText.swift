import OnrampCore

/// Decimal numbers as ERP exports write them (`1.234,56`, `1,234.56`, `1 234,56`, `1'234.56`, `(12.00)`,
/// `12.00-`, `€ 1.234,56`, `1,234.56 USD`), read in one pass over the UTF-8 without allocating.
///
/// Without separators given: spaces and apostrophes group; with both `.` and `,` the later one is the
/// decimal separator; a separator that occurs more than once groups; one that occurs once is the decimal
/// separator, also before exactly three digits (`1,234` and `1.234` are 1.234: pass the separators to
/// read them as 1234). Groups after the first have three digits (two in Indian `1,23,456`). At most 15
/// significant digits: more would not round-trip through a double, and is an error instead of a rounding.
enum DecimalText {
    struct Failure: Error { let reason: String }

    /// The separators to use: nil infers them; `group` nil allows the other of `.`/`,`, spaces and apostrophes.
    struct Separators {
        var decimal: UInt8?
        var group: UInt8?
    }

    static func separators(decimal: String?, group: String?) throws(OnrampError) -> Separators {
        var s = Separators()
        if let decimal, !decimal.isEmpty {
            guard decimal == "." || decimal == "," else {
                throw OnrampError("clean.decimal",
                                  "the decimal separator must be '.' or ',', not \(CleansingText.quote(decimal))")
            }
            s.decimal = decimal.utf8.first
        }
        if let group, !group.isEmpty {
            let allowed = [".", ",", " ", "'"]
            guard allowed.contains(group), group.utf8.first != s.decimal else {
                throw OnrampError("clean.decimal", "the group separator must be one of . , space ' (and not the decimal "
                                  + "separator), not \(CleansingText.quote(group))")
            }
            s.group = group.utf8.first
        }
        return s
    }

    static func parse(_ text: String, _ separators: Separators = Separators()) throws(OnrampError) -> Double {
        var text = text
        let outcome: Result<Double, Failure> = text.withUTF8 { parse($0, separators) }
        switch outcome {
        case .success(let d): return d
        case .failure(let f): throw CleansingText.error("clean.decimal", text, "is not a decimal number: \(f.reason)")
        }
    }

    static let space: UInt8 = 1, apostrophe: UInt8 = 2, minus: UInt8 = 3, other: UInt8 = 4

    /// The class of the byte sequence at `i` and its length: a digit, `.`, `,` (themselves), a space (incl.
    /// NBSP, narrow NBSP, thin space), an apostrophe (incl. ’), a minus sign (incl. U+2212) or another byte.
    @inline(__always)
    static func token(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt8, Int) {
        let c = b[i]
        switch c {
        case 0x30...0x39, 0x2E, 0x2C, 0x2B, 0x28, 0x29: return (c, 1)
        case 0x20, 0x09: return (space, 1)
        case 0x27: return (apostrophe, 1)
        case 0x2D: return (minus, 1)
        case 0xC2 where i + 1 < b.count && b[i + 1] == 0xA0: return (space, 2)
        case 0xE2 where i + 2 < b.count:
            let (c1, c2) = (b[i + 1], b[i + 2])
            if c1 == 0x80 && (c2 == 0xAF || c2 == 0x89) { return (space, 3) }
            if c1 == 0x80 && c2 == 0x99 { return (apostrophe, 3) }
            if c1 == 0x88 && c2 == 0x92 { return (minus, 3) }
            return (other, 1)
        default: return (other, 1)
        }
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    static func parse(_ b: UnsafeBufferPointer<UInt8>, _ given: Separators) -> Result<Double, Failure> {
        // The core runs from the first digit (or a separator right before it) to the last digit.
        guard var first = b.firstIndex(where: isDigit), let last = b.lastIndex(where: isDigit) else {
            return .failure(Failure(reason: "expected digits"))
        }
        if first > 0, b[first - 1] == 0x2E || b[first - 1] == 0x2C { first -= 1 }
        var sign = 1.0
        var affixes = Affixes()
        if let reason = affixes.read(b, 0, first, prefix: true) ?? affixes.read(b, last + 1, b.count, prefix: false) {
            return .failure(Failure(reason: reason))
        }
        if affixes.openParen != affixes.closeParen { return .failure(Failure(reason: "unbalanced parentheses")) }
        if affixes.negative || affixes.openParen { sign = -1 }

        // First pass: which separators occur, how often, and where the last of each is.
        var dots = 0, commas = 0, lastDot = -1, lastComma = -1
        var i = first
        while i <= last {
            let (c, n) = token(b, i)
            switch c {
            case 0x2E: dots += 1; lastDot = i
            case 0x2C: commas += 1; lastComma = i
            case 0x30...0x39, space, apostrophe: break
            default: return .failure(Failure(reason: "expected digits and separators, found \(describe(b, i))"))
            }
            i += n
        }
        var decimal = given.decimal ?? 0
        if given.decimal == nil {
            if dots > 0 && commas > 0 { decimal = lastDot > lastComma ? 0x2E : 0x2C } else if dots == 1 {
                decimal = 0x2E
            } else if commas == 1 { decimal = 0x2C }
        }
        return accumulate(b, first, last, decimal: decimal, given: given, sign: sign)
    }

    private static func allowedGroup(_ c: UInt8, decimal: UInt8, given: Separators) -> Bool {
        if let g = given.group { return c == g || (g == 0x20 && c == space) || (g == 0x27 && c == apostrophe) }
        if c == space || c == apostrophe { return true }
        return (c == 0x2E || c == 0x2C) && c != decimal
    }

    private static let powers: [Double] = (0...22).map { p in (0..<p).reduce(1.0) { a, _ in a * 10 } }

    /// Second pass: digits into a mantissa of at most 15 significant digits, the groups checked.
    private static func accumulate(_ b: UnsafeBufferPointer<UInt8>, _ first: Int, _ last: Int, decimal: UInt8,
                                   given: Separators, sign: Double) -> Result<Double, Failure> {
        var mantissa: UInt64 = 0, significant = 0, pendingZeros = 0, pendingFractionZeros = 0, exponent = 0
        var inFraction = false
        var groupClass: UInt8 = 0, groupLength = 0, groups = 0
        var i = first
        while i <= last {
            let (c, n) = token(b, i)
            defer { i += n }
            if isDigit(c) {
                let d = UInt64(c - 0x30)
                if inFraction { groupLength = 0 } else { groupLength += 1 }
                if d == 0 {
                    if significant == 0 {
                        if inFraction { exponent -= 1 }
                    } else {
                        pendingZeros += 1
                        if inFraction { pendingFractionZeros += 1 }
                    }
                    continue
                }
                guard significant + pendingZeros + 1 <= 15 else {
                    return .failure(Failure(reason: "more than 15 significant digits would lose precision in a number"))
                }
                for _ in 0..<pendingZeros { mantissa *= 10 }
                mantissa = mantissa * 10 + d
                significant += pendingZeros + 1
                if inFraction { exponent -= pendingFractionZeros + 1 }
                pendingZeros = 0
                pendingFractionZeros = 0
                continue
            }
            if c == decimal && decimal != 0 {
                if inFraction { return .failure(Failure(reason: "more than one decimal separator")) }
                if groups > 0 && groupLength != 3 { return .failure(Failure(reason: "groups of three digits expected")) }
                inFraction = true
                continue
            }
            guard allowedGroup(c, decimal: decimal, given: given) else {
                return .failure(Failure(reason: "unexpected \(describe(b, i)) (decimal separator "
                                        + "\(decimal == 0 ? "none" : "'\(Character(Unicode.Scalar(decimal)))'"))"))
            }
            if inFraction { return .failure(Failure(reason: "a group separator after the decimal separator")) }
            if groups > 0 && groupClass != c { return .failure(Failure(reason: "mixed group separators")) }
            let ok = groups == 0 ? (1...3).contains(groupLength) : (2...3).contains(groupLength)
            if !ok { return .failure(Failure(reason: "groups of three digits expected")) }
            groupClass = c
            groups += 1
            groupLength = 0
        }
        if groups > 0 && !inFraction && groupLength != 3 {
            return .failure(Failure(reason: "groups of three digits expected"))
        }
        exponent += pendingZeros - pendingFractionZeros
        if mantissa == 0 { return .success(0) }
        let m = Double(mantissa)
        var value: Double
        if exponent >= 0 && exponent <= 22 {
            value = m * powers[exponent]
        } else if exponent < 0 && exponent >= -22 {
            value = m / powers[-exponent]
        } else {
            value = Double("\(mantissa)e\(exponent)") ?? .infinity
        }
        guard value.isFinite, value != 0, value.isNormal else {
            return .failure(Failure(reason: "out of the range of a number"))
        }
        return .success(sign * value)
    }

    static func describe(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> String {
        var end = i + 1
        while end < b.count && b[end] & 0xC0 == 0x80 { end += 1 }
        return "'" + String(decoding: UnsafeBufferPointer(rebasing: b[i..<end]), as: UTF8.self) + "'"
    }
}
