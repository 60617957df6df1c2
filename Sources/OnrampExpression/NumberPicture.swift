import Foundation

/// `$formatNumber`: XPath `fn:format-number` pictures (prefix/suffix, grouping, mandatory and
/// optional digits, percent, per-mille, exponent, a negative sub-picture, custom symbols).
struct NumberPicture {
    struct Properties {
        var decimal: Character = ".", grouping: Character = ",", exponent: Character = "e", minus = "-"
        var percent: Character = "%", perMille: Character = "\u{2030}", zero: Character = "0", digit: Character = "#"
        var patternSeparator: Character = ";"

        init(options: JValue) {
            guard let o = options.objectValue else { return }
            func ch(_ k: String) -> Character? { o[k].stringValue?.first }
            decimal = ch("decimal-separator") ?? decimal
            grouping = ch("grouping-separator") ?? grouping
            exponent = ch("exponent-separator") ?? exponent
            minus = o["minus-sign"].stringValue ?? minus
            percent = ch("percent") ?? percent
            perMille = ch("per-mille") ?? perMille
            zero = ch("zero-digit") ?? zero
            digit = ch("digit") ?? digit
            patternSeparator = ch("pattern-separator") ?? patternSeparator
        }
    }

    struct Variables {
        var integerGrouping: [Int]
        var regularGrouping: Int
        var minimumIntegerPartSize: Int
        var scalingFactor: Int
        var prefix: [Character]
        var fractionalGrouping: [Int]
        var minimumFractionalPartSize: Int
        var maximumFractionalPartSize: Int
        var minimumExponentSize: Int
        var suffix: [Character]
        var picture: [Character]
    }

    let p: Properties
    let family: [Character]
    let active: Set<Character>

    init(options: JValue) throws {
        p = Properties(options: options)
        let z = p.zero.unicodeScalars.first!.value
        // The zero digit starts ten consecutive characters; one too close to a gap or the end is refused.
        let digits = (0..<10).compactMap { Unicode.Scalar(z + $0) }
        guard digits.count == 10 else { throw JSONataError("D3131") }
        family = digits.map(Character.init)
        // A digit that is also a separator or sign makes the picture ambiguous (and its decimal point unfindable).
        let symbols: [Character] = [p.decimal, p.exponent, p.grouping, p.digit, p.patternSeparator, p.percent, p.perMille]
        guard !symbols.contains(where: family.contains) else { throw JSONataError("D3131") }
        active = Set(family + [p.decimal, p.exponent, p.grouping, p.digit, p.patternSeparator])
    }

    func isDigit(_ c: Character) -> Bool { family.contains(c) }

    func format(_ value: Double, picture: String) throws -> String {
        // Infinity would never scale into the mantissa range below.
        guard value.isFinite else { throw JSONataError("D1001", value: .number(value)) }
        let subs = Array(picture).split(separator: p.patternSeparator, omittingEmptySubsequences: false).map(Array.init)
        if subs.count > 2 { throw JSONataError("D3080") }
        var variables = try subs.map { try analyse($0) }
        if variables.count == 1 {
            var negative = variables[0]
            negative.prefix = Array(p.minus) + negative.prefix
            variables.append(negative)
        }
        let pic = value >= 0 ? variables[0] : variables[1]
        var adjusted = value
        if pic.picture.contains(p.percent) { adjusted = value * 100 } else if pic.picture.contains(p.perMille) { adjusted = value * 1000 }
        var mantissa = adjusted
        var exponent: Int?
        if pic.minimumExponentSize > 0 {
            let maxMantissa = pow(10, Double(pic.scalingFactor)), minMantissa = pow(10, Double(pic.scalingFactor - 1))
            var e = 0
            if mantissa != 0 {
                while abs(mantissa) < minMantissa { mantissa *= 10; e -= 1 }
                while abs(mantissa) > maxMantissa { mantissa /= 10; e += 1 }
            }
            exponent = e
        }
        let rounded = NumericFunctions.round(mantissa, pic.maximumFractionalPartSize)
        func makeString(_ v: Double, _ dp: Int) -> [Character] {
            Array(String(format: "%.\(dp)f", abs(v))).map { c in
                if let d = c.wholeNumberValue, c.isASCII { return family[d] }
                return c
            }
        }
        var s = makeString(rounded, pic.maximumFractionalPartSize)
        if let dot = s.firstIndex(of: ".") { s[dot] = p.decimal } else { s.append(p.decimal) }
        while s.first == p.zero { s.removeFirst() }
        while s.last == p.zero { s.removeLast() }
        /// Where the decimal separator is (always present: the digits' family is disjoint from it).
        func point(_ s: [Character]) throws -> Int {
            guard let i = s.firstIndex(of: p.decimal) else { throw JSONataError("D3131") }
            return i
        }
        var decimalPos = try point(s)
        let padLeft = pic.minimumIntegerPartSize - decimalPos
        let padRight = pic.minimumFractionalPartSize - (s.count - decimalPos - 1)
        if padLeft > 0 { s = Array(repeating: p.zero, count: padLeft) + s }
        if padRight > 0 { s += Array(repeating: p.zero, count: padRight) }
        decimalPos = try point(s)
        if pic.regularGrouping > 0 {
            let groups = (decimalPos - 1) / pic.regularGrouping
            if groups > 0 {
                for g in 1...groups { s.insert(p.grouping, at: decimalPos - g * pic.regularGrouping) }
            }
        } else {
            for pos in pic.integerGrouping where decimalPos - pos >= 0 {
                s.insert(p.grouping, at: decimalPos - pos)
                decimalPos += 1
            }
        }
        decimalPos = try point(s)
        for pos in pic.fractionalGrouping where pos + decimalPos + 1 <= s.count {
            s.insert(p.grouping, at: pos + decimalPos + 1)
        }
        decimalPos = try point(s)
        if pic.fractionalGrouping.isEmpty && (pic.minimumFractionalPartSize == 0 || decimalPos == s.count - 1) {
            s.removeLast()
        }
        var out = String(s)
        if let exponent {
            var e = makeString(Double(exponent), 0)
            if pic.minimumExponentSize > e.count { e = Array(repeating: p.zero, count: pic.minimumExponentSize - e.count) + e }
            out += String(p.exponent) + (exponent < 0 ? p.minus : "") + String(e)
        }
        return String(pic.prefix) + out + String(pic.suffix)
    }

    private func analyse(_ sub: [Character]) throws -> Variables {
        // Split into prefix, active part and suffix; mantissa, exponent, integer and fractional parts.
        let firstActive = sub.firstIndex { active.contains($0) && $0 != p.exponent } ?? sub.count
        let lastActive = sub.lastIndex { active.contains($0) && $0 != p.exponent }
        let prefix = Array(sub[..<firstActive])
        let suffix = lastActive.map { Array(sub[($0 + 1)...]) } ?? []
        let activePart = firstActive < sub.count - suffix.count ? Array(sub[firstActive..<(sub.count - suffix.count)]) : []
        var mantissa = activePart
        var exponentPart: [Character]?
        if let e = sub[prefix.count...].firstIndex(of: p.exponent), e <= sub.count - suffix.count {
            // As the reference does, the exponent's index in the sub-picture is applied to the active part.
            mantissa = Array(activePart[..<min(e, activePart.count)])
            exponentPart = e + 1 <= activePart.count ? Array(activePart[(e + 1)...]) : []
        }
        let integerPart: [Character], fractionalPart: [Character]
        if let d = mantissa.firstIndex(of: p.decimal) {
            integerPart = Array(mantissa[..<d])
            fractionalPart = Array(mantissa[(d + 1)...])
        } else {
            integerPart = mantissa
            fractionalPart = suffix
        }
        try validate(sub, activePart, mantissa, integerPart, fractionalPart, exponentPart)

        func groupingPositions(_ part: [Character], toLeft: Bool) -> [Int] {
            var positions: [Int] = []
            var idx = part.firstIndex(of: p.grouping)
            while let g = idx {
                let side = toLeft ? part[..<g] : part[g...]
                positions.append(side.filter { isDigit($0) || $0 == p.digit }.count)
                idx = g + 1 < integerPart.count ? integerPart[(g + 1)...].firstIndex(of: p.grouping) : nil
            }
            return positions
        }
        let integerGrouping = groupingPositions(integerPart, toLeft: false)
        var minInt = integerPart.filter(isDigit).count
        let scaling = minInt
        var minFrac = fractionalPart.filter(isDigit).count
        var maxFrac = fractionalPart.filter { isDigit($0) || $0 == p.digit }.count
        let exponentPresent = exponentPart != nil
        if minInt == 0 && maxFrac == 0 {
            if exponentPresent { minFrac = 1; maxFrac = 1 } else { minInt = 1 }
        }
        if exponentPresent && minInt == 0 && integerPart.contains(p.digit) { minInt = 1 }
        if minInt == 0 && minFrac == 0 { minFrac = 1 }
        return Variables(integerGrouping: integerGrouping, regularGrouping: IntegerPicture.regularInterval(positions: integerGrouping),
                         minimumIntegerPartSize: minInt, scalingFactor: scaling, prefix: prefix,
                         fractionalGrouping: groupingPositions(fractionalPart, toLeft: true),
                         minimumFractionalPartSize: minFrac, maximumFractionalPartSize: maxFrac,
                         minimumExponentSize: exponentPart?.filter(isDigit).count ?? 0, suffix: suffix, picture: sub)
    }

    private func validate(_ sub: [Character], _ activePart: [Character], _ mantissa: [Character], _ integerPart: [Character],
                          _ fractionalPart: [Character], _ exponentPart: [Character]?) throws {
        func count(_ c: Character) -> Int { sub.filter { $0 == c }.count }
        var error: String?
        if count(p.decimal) > 1 { error = "D3081" }
        if count(p.percent) > 1 { error = "D3082" }
        if count(p.perMille) > 1 { error = "D3083" }
        if count(p.percent) > 0 && count(p.perMille) > 0 { error = "D3084" }
        if !mantissa.contains(where: { isDigit($0) || $0 == p.digit }) { error = "D3085" }
        if activePart.contains(where: { !active.contains($0) }) { error = "D3086" }
        if let d = sub.firstIndex(of: p.decimal) {
            if (d > 0 && sub[d - 1] == p.grouping) || (d + 1 < sub.count && sub[d + 1] == p.grouping) { error = "D3087" }
        } else if integerPart.last == p.grouping {
            error = "D3088"
        }
        if zip(sub, sub.dropFirst()).contains(where: { $0 == p.grouping && $1 == p.grouping }) { error = "D3089" }
        if let o = integerPart.firstIndex(of: p.digit), integerPart[..<o].contains(where: isDigit) { error = "D3090" }
        if let o = fractionalPart.lastIndex(of: p.digit), fractionalPart[o...].contains(where: isDigit) { error = "D3091" }
        if let e = exponentPart {
            if !e.isEmpty && (count(p.percent) > 0 || count(p.perMille) > 0) { error = "D3092" }
            if e.isEmpty || e.contains(where: { !isDigit($0) }) { error = "D3093" }
        }
        if !sub.contains(where: { active.contains($0) }) { error = "D3086" }
        if let error { throw JSONataError(error) }
    }
}
