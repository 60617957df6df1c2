import Foundation
import OnrampCore

/// What the cleansing functions share: how they quote a value in an error, and the error itself.
enum CleansingText {
    /// `'value'`, cut at 60 characters so that a hostile megabyte does not end up in every error report.
    static func quote(_ value: String) -> String {
        var count = 0
        var end = value.startIndex
        while end < value.endIndex, count < 60 { value.formIndex(after: &end); count += 1 }
        return end == value.endIndex ? "'\(value)'" : "'\(value[..<end])…'"
    }

    static func error(_ code: String, _ value: String, _ what: String) -> OnrampError {
        OnrampError(code, "\(quote(value)) \(what)")
    }
}

extension String {
    /// Empty or only whitespace: a blank ERP cell, which the cleansing functions read as no value (undefined).
    var isBlank: Bool { unicodeScalars.allSatisfy(\.isSpace) }

    /// Without leading and trailing Unicode white space (as `trimmingCharacters(in: .whitespacesAndNewlines)`),
    /// returning the text itself when neither end is white space.
    var trimmingWhiteSpace: String {
        guard let first = unicodeScalars.first, let last = unicodeScalars.last, first.isSpace || last.isSpace else {
            return self
        }
        return trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Without leading and trailing ASCII spaces, tabs, line breaks and no-break spaces.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{A0}" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}

extension Unicode.Scalar {
    /// The White_Space property (the set `.whitespacesAndNewlines` holds), without a table lookup for ASCII.
    var isSpace: Bool { value < 0x80 ? value == 0x20 || (0x09...0x0D).contains(value) : properties.isWhitespace }
}
