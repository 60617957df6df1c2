import Foundation

/// An integer picture (`$formatInteger`, `$parseInteger`, date/time components), after XPath
/// `fn:format-integer`: decimal digit patterns with grouping, letters, roman numerals, words, ordinals.
struct IntegerPicture {
    enum Primary { case decimal, letters, roman, words, sequence }
    enum Case { case upper, lower, title }
    struct Separator { var position: Int; var character: Character }

    var primary = Primary.decimal
    var letterCase = Case.lower
    var ordinal = false
    var zeroCode: UInt32 = 0x30
    var mandatoryDigits = 0
    var optionalDigits = 0
    /// Regular grouping: one separator every `regularInterval` digits; otherwise the listed ones.
    var regularInterval = 0
    var separators: [Separator] = []
    var token = ""

    static let decimalGroups: [UInt32] = [0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
                                          0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
                                          0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10]

    static func zero(of scalar: Unicode.Scalar) -> UInt32? {
        decimalGroups.first { scalar.value >= $0 && scalar.value <= $0 + 9 }
    }

    init(_ picture: String) throws {
        var primaryFormat = picture
        if let semicolon = picture.lastIndex(of: ";") {
            primaryFormat = String(picture[..<semicolon])
            if picture[picture.index(after: semicolon)...].first == "o" { ordinal = true }
        }
        switch primaryFormat {
        case "A": primary = .letters; letterCase = .upper
        case "a": primary = .letters
        case "I": primary = .roman; letterCase = .upper
        case "i": primary = .roman
        case "W": primary = .words; letterCase = .upper
        case "Ww": primary = .words; letterCase = .title
        case "w": primary = .words
        default:
            var zero: UInt32?
            var position = 0
            var found: [Separator] = []
            for scalar in primaryFormat.unicodeScalars.reversed() {
                if let group = IntegerPicture.zero(of: scalar) {
                    mandatoryDigits += 1
                    position += 1
                    if let z = zero, z != group { throw JSONataError("D3131") }
                    zero = group
                } else if scalar == "#" {
                    position += 1
                    optionalDigits += 1
                } else {
                    found.append(Separator(position: position, character: Character(scalar)))
                }
            }
            guard mandatoryDigits > 0, let zero else {
                primary = .sequence
                token = primaryFormat
                return
            }
            zeroCode = zero
            let interval = IntegerPicture.regularInterval(found)
            if interval > 0 {
                regularInterval = interval
                separators = [Separator(position: interval, character: found[0].character)]
            } else {
                separators = found
            }
        }
    }

    /// The common interval of equally spaced, identical separators; 0 when they are irregular.
    static func regularInterval(_ separators: [Separator]) -> Int {
        guard let first = separators.first, separators.allSatisfy({ $0.character == first.character }) else { return 0 }
        return regularInterval(positions: separators.map(\.position))
    }

    static func regularInterval(positions: [Int]) -> Int {
        guard !positions.isEmpty else { return 0 }
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let factor = positions.dropFirst().reduce(positions[0], gcd)
        guard factor > 0 else { return 0 }
        for i in 1...positions.count where !positions.contains(i * factor) { return 0 }
        return factor
    }

    func format(_ input: Double) throws -> String {
        guard input.isFinite else { throw JSONataError("D1001", value: .number(input)) }
        let negative = input < 0
        let value = abs(input)
        var out: String
        switch primary {
        case .letters:
            out = IntegerWords.letters(value, upper: letterCase == .upper)
        case .roman:
            out = try IntegerWords.roman(value)
            if letterCase == .upper { out = out.uppercased() }
        case .words:
            out = IntegerWords.words(value, ordinal: ordinal)
            if letterCase == .upper { out = out.uppercased() } else if letterCase == .lower { out = out.lowercased() }
        case .decimal:
            try SizeLimits.checkString(mandatoryDigits)
            var digits = Array(String(format: "%.0f", value))
            if mandatoryDigits > digits.count { digits = Array(repeating: "0", count: mandatoryDigits - digits.count) + digits }
            if zeroCode != 0x30 {
                digits = digits.map { Character(Unicode.Scalar($0.unicodeScalars.first!.value - 0x30 + zeroCode)!) }
            }
            if regularInterval > 0 {
                let n = (digits.count - 1) / regularInterval
                var i = n
                while i > 0 {
                    digits.insert(separators[0].character, at: digits.count - i * regularInterval)
                    i -= 1
                }
            } else {
                for s in separators.reversed() where s.position <= digits.count {
                    digits.insert(s.character, at: digits.count - s.position)
                }
            }
            out = String(digits)
            if ordinal {
                let last = digits.last
                var suffix = ["1": "st", "2": "nd", "3": "rd"][last.map(String.init) ?? ""] ?? "th"
                if digits.count > 1 && digits[digits.count - 2] == "1" { suffix = "th" }
                out += suffix
            }
        case .sequence:
            throw JSONataError("D3130", value: .string(token))
        }
        return negative ? "-" + out : out
    }

    /// The regular expression matching this picture's output (for date/time parsing).
    func regex() throws -> String {
        let upper = letterCase == .upper
        switch primary {
        case .letters: return upper ? "[A-Z]+" : "[a-z]+"
        case .roman: return upper ? "[MDCLXVI]+" : "[mdclxvi]+"
        case .words: return "(?:" + (IntegerWords.wordValues.keys.sorted { $0.count > $1.count } + ["and", "[\\-, ]"]).joined(separator: "|") + ")+"
        case .decimal:
            // A fixed-width picture ([Y0001], [M01]) matches exactly that many digits, so adjacent
            // components need no separator.
            let digits = mandatoryDigits >= 2 && optionalDigits == 0 && regularInterval == 0 && separators.isEmpty
                ? "[0-9]{\(mandatoryDigits)}" : "[0-9]+"
            return digits + (ordinal ? "(?:th|st|nd|rd)" : "")
        case .sequence: throw JSONataError("D3130", value: .string(token))
        }
    }

    func parse(_ text: String) throws -> Double? {
        switch primary {
        case .letters: return IntegerWords.fromLetters(text, upper: letterCase == .upper)
        case .roman: return IntegerWords.fromRoman(letterCase == .upper ? text : text.uppercased())
        case .words: return IntegerWords.fromWords(text.lowercased())
        case .decimal:
            var digits = text
            if ordinal { digits = String(digits.dropLast(2)) }
            if regularInterval > 0 {
                digits = digits.replacingOccurrences(of: ",", with: "")
            } else {
                for s in separators { digits = digits.replacingOccurrences(of: String(s.character), with: "") }
            }
            if zeroCode != 0x30 {
                // Only the picture's digits map to ASCII ones; anything else ends the number below.
                digits = String(String.UnicodeScalarView(digits.unicodeScalars.map { s in
                    s.value >= zeroCode && s.value <= zeroCode + 9 ? Unicode.Scalar(s.value - zeroCode + 0x30)! : s
                }))
            }
            return Double(digits.prefix { $0.isASCII && $0.isNumber })
        case .sequence:
            throw JSONataError("D3130", value: .string(token))
        }
    }
}
