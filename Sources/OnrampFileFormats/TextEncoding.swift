/// The text encodings file connectors read: UTF-8 (BOM optional), Windows-1252 and ISO-8859-1.
enum TextEncoding: String, Sendable {
    case utf8 = "utf-8"
    case windows1252 = "windows-1252"
    case latin1 = "iso-8859-1"

    private static let cp1252: [UInt16] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    /// The text as UTF-8 (ASCII and valid UTF-8 pass through unchanged); nil when UTF-8 text is not valid UTF-8.
    func utf8(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        if isUTF8Already(bytes) { return bytes }
        if self == .utf8 { return nil }
        return decode(bytes).map { ArraySlice($0.utf8) }
    }

    /// Whether the bytes are already the text's UTF-8: ASCII, or valid UTF-8 in a UTF-8 file.
    func isUTF8Already(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { $0 < 0x80 } || (self == .utf8 && String(validating: bytes, as: UTF8.self) != nil)
    }

    /// Decodes bytes; nil when UTF-8 text is not valid UTF-8.
    func decode(_ bytes: some Collection<UInt8>) -> String? {
        switch self {
        case .utf8:
            return String(validating: bytes, as: UTF8.self)
        case .latin1:
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        case .windows1252:
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            var s = String.UnicodeScalarView()
            for b in bytes {
                if b >= 0x80 && b < 0xA0 { s.append(Unicode.Scalar(TextEncoding.cp1252[Int(b - 0x80)])!) } else { s.append(Unicode.Scalar(b)) }
            }
            return String(s)
        }
    }
}
