import Foundation

/// ISO 8601 times on the wire (`2026-11-24T21:05:00Z`), with a formatter that is cheap to share.
enum ISOTime {
    static let style = Date.ISO8601FormatStyle()
    static func string(_ date: Date) -> String { date.formatted(style) }
    static func date(_ text: String) -> Date? { try? style.parse(text) }
}
