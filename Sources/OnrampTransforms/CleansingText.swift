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
    var isBlank: Bool { unicodeScalars.allSatisfy { $0.properties.isWhitespace } }

    /// Without leading and trailing ASCII spaces, tabs, line breaks and no-break spaces.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{A0}" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
