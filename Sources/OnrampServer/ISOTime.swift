import Foundation

/// ISO 8601 times on the wire (`2026-11-24T21:05:00Z`), with a formatter that is cheap to share.
enum ISOTime {
    static let style = Date.ISO8601FormatStyle()
    static func string(_ date: Date) -> String { date.formatted(style) }
    static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    /// With or without fractional seconds (`2026-11-24T21:05:00.250Z`).
    static func date(_ text: String) -> Date? { (try? style.parse(text)) ?? (try? fractional.parse(text)) }
}
