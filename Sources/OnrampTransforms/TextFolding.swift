/// Lookup keys for names typed by people: lowercase ASCII letters and digits, Latin accents stripped
/// (`Österreich` → `osterreich`, also when decomposed), spaces and punctuation dropped (`U.S.A.` → `usa`).
/// Other scripts' letters are kept as they are. One pass over the UTF-8, one allocation (the key).
enum TextFolding {
    /// Two ASCII bytes per letter U+00C0...U+024F (the second 0 when one letter), from `latin`.
    private static let latinPairs: [UInt16] = latin.map { s in
        let b = Array(s.utf8)
        return b.isEmpty ? 0 : UInt16(b[0]) | (b.count > 1 ? UInt16(b[1]) << 8 : 0)
    }

    /// The key of `text`; with `umlautsAsE`, ä ö ü are spelled ae oe ue (German transliteration), so
    /// tables register both spellings of a name with umlauts and either typed form finds it.
    static func key(_ text: String, umlautsAsE: Bool = false) -> String {
        var text = text
        return text.withUTF8 { key($0, umlautsAsE: umlautsAsE) }
    }

    static func key(_ bytes: UnsafeBufferPointer<UInt8>, umlautsAsE: Bool = false) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { out in
            var n = 0
            var i = 0
            let count = bytes.count
            while i < count {
                let b = bytes[i]
                if b < 0x80 {
                    if b >= 0x41 && b <= 0x5A {
                        out[n] = b | 0x20; n += 1
                    } else if (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) {
                        out[n] = b; n += 1
                    }
                    i += 1
                    continue
                }
                let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                guard i + length <= count else { break }
                if length == 2 {
                    let scalar = (Int(b & 0x1F) << 6) | Int(bytes[i + 1] & 0x3F)
                    if scalar >= 0xC0 && scalar < 0x250 {
                        if umlautsAsE, let vowel = umlautVowel(scalar) {
                            out[n] = vowel; out[n + 1] = 0x65; n += 2
                        } else {
                            let pair = latinPairs[scalar - 0xC0]
                            if pair != 0 { out[n] = UInt8(pair & 0xFF); n += 1 }
                            if pair > 0xFF { out[n] = UInt8(pair >> 8); n += 1 }
                        }
                        i += 2
                        continue
                    }
                    // Latin-1 punctuation and spaces (U+0080...U+00BF) and combining accents (U+0300...U+036F) go.
                    if scalar < 0xC0 || (scalar >= 0x300 && scalar < 0x370) { i += 2; continue }
                } else if length == 3 && b == 0xE2 && bytes[i + 1] >= 0x80 && bytes[i + 1] <= 0x81 {
                    i += 3  // U+2000...U+207F: spaces, dashes, quotes, general punctuation
                    continue
                }
                for k in 0..<length { out[n + k] = bytes[i + k] }
                n += length
                i += length
            }
            return n
        }
    }

    private static func umlautVowel(_ scalar: Int) -> UInt8? {
        switch scalar {
        case 0xC4, 0xE4: return 0x61
        case 0xD6, 0xF6: return 0x6F
        case 0xDC, 0xFC: return 0x75
        default: return nil
        }
    }

    /// Both keys of a table entry: plain and, when they differ, with umlauts as ae oe ue.
    static func keys(_ name: String) -> [String] {
        let plain = key(name)
        let german = key(name, umlautsAsE: true)
        return german == plain ? [plain] : [plain, german]
    }
}
