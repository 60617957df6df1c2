import Foundation

/// English words, roman numerals and letter sequences for integer pictures.
enum IntegerWords {
    static let few = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve",
                      "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"]
    static let ordinals = ["Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth",
                           "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"]
    static let decades = ["Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"]
    static let magnitudes = ["Thousand", "Million", "Billion", "Trillion"]

    static func words(_ value: Double, ordinal: Bool) -> String {
        func lookup(_ num: Double, _ prev: Bool, _ ord: Bool) -> String {
            var words: String
            if num <= 19 {
                words = (prev ? " and " : "") + (ord ? ordinals[Int(num)] : few[Int(num)])
            } else if num < 100 {
                let tens = Int(num / 10), remainder = num.truncatingRemainder(dividingBy: 10)
                words = (prev ? " and " : "") + decades[tens - 2]
                if remainder > 0 {
                    words += "-" + lookup(remainder, false, ord)
                } else if ord {
                    words = String(words.dropLast()) + "ieth"
                }
            } else if num < 1000 {
                let hundreds = Int(num / 100), remainder = num.truncatingRemainder(dividingBy: 100)
                words = (prev ? ", " : "") + few[hundreds] + " Hundred"
                if remainder > 0 { words += lookup(remainder, true, ord) } else if ord { words += "th" }
            } else {
                var mag = Int(floor(log10(num) / 3))
                if mag > magnitudes.count { mag = magnitudes.count }
                let factor = pow(10, Double(mag * 3))
                let mant = floor(num / factor)
                let remainder = num - mant * factor
                words = (prev ? ", " : "") + lookup(mant, false, false) + " " + magnitudes[mag - 1]
                if remainder > 0 { words += lookup(remainder, true, ord) } else if ord { words += "th" }
            }
            return words
        }
        return lookup(value, false, ordinal)
    }

    static let wordValues: [String: Double] = {
        var v: [String: Double] = [:]
        for (i, w) in few.enumerated() { v[w.lowercased()] = Double(i) }
        for (i, w) in ordinals.enumerated() { v[w.lowercased()] = Double(i) }
        for (i, w) in decades.enumerated() {
            let l = w.lowercased()
            v[l] = Double((i + 2) * 10)
            v[String(l.dropLast()) + "ieth"] = v[l]
        }
        v["hundredth"] = 100
        for (i, w) in magnitudes.enumerated() {
            let l = w.lowercased()
            v[l] = pow(10, Double((i + 1) * 3))
            v[l + "th"] = v[l]
        }
        return v
    }()

    static func fromWords(_ text: String) -> Double {
        var parts: [String] = []
        var rest = Substring(text)
        // split on ", ", " and ", whitespace or '-'
        var current = ""
        while !rest.isEmpty {
            if rest.hasPrefix(", ") { parts.append(current); current = ""; rest = rest.dropFirst(2); continue }
            if rest.hasPrefix(" and ") { parts.append(current); current = ""; rest = rest.dropFirst(5); continue }
            let c = rest.removeFirst()
            if c == " " || c == "-" { parts.append(current); current = "" } else { current.append(c) }
        }
        parts.append(current)
        var segs: [Double] = [0]
        for part in parts {
            let value = wordValues[part] ?? .nan
            if value < 100 {
                var top = segs.removeLast()
                if top >= 1000 {
                    segs.append(top)
                    top = 0
                }
                segs.append(top + value)
            } else {
                segs.append(segs.removeLast() * value)
            }
        }
        return segs.reduce(0, +)
    }

    static let romanNumerals: [(Double, String)] = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                                                     (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]

    /// Roman numerals; the thousands are one "m" each, so their count is checked against the size limit first.
    static func roman(_ value: Double) throws(JSONataError) -> String {
        let thousands = (value / 1000).rounded(.down)
        try SizeLimits.checkString(SizeLimits.clampedInt(thousands))
        var v = value - thousands * 1000
        var out = String(repeating: "m", count: Int(thousands))
        for (n, s) in romanNumerals { while v >= n { out += s; v -= n } }
        return out
    }

    static func fromRoman(_ roman: String) -> Double {
        let values: [Character: Double] = ["M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1]
        var decimal = 0.0, max = 1.0
        for c in roman.reversed() {
            let v = values[c] ?? 0
            if v < max { decimal -= v } else { max = v; decimal += v }
        }
        return decimal
    }

    static func letters(_ value: Double, upper: Bool) -> String {
        let a = upper ? 65 : 97
        // In doubles: any finite value has at most a few hundred letters.
        var v = value.rounded(.towardZero), out: [Character] = []
        while v > 0 {
            let digit = Int((v - 1).truncatingRemainder(dividingBy: 26))
            out.append(Character(Unicode.Scalar(UInt8(digit + a))))
            v = ((v - 1) / 26).rounded(.down)
        }
        return String(out.reversed())
    }

    static func fromLetters(_ text: String, upper: Bool) -> Double {
        let a = upper ? 65 : 97
        var decimal = 0.0
        for (i, c) in text.unicodeScalars.reversed().enumerated() { decimal += Double(Int(c.value) - a + 1) * pow(26, Double(i)) }
        return decimal
    }
}
