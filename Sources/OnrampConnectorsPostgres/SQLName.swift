import Foundation
import OnrampCore

/// A table or view name as a user writes it (`orders`, `erp.orders`, `"Order Lines"`), split into its
/// parts the way PostgreSQL reads them (unquoted parts fold to lower case), and always rendered quoted.
struct SQLName: Sendable, Equatable, CustomStringConvertible {
    var parts: [String]

    init(parsing text: String, field: String) throws {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var wasQuoted = false
        let chars = Array(text.trimmingCharacters(in: .whitespaces))
        var i = 0
        func finish() throws {
            guard !current.isEmpty else {
                throw OnrampError("postgres.name", "'\(text)' is not a table name (schema.table)", at: field)
            }
            parts.append(wasQuoted ? current : current.lowercased())
            current = ""
            wasQuoted = false
        }
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" { current.append("\""); i += 1 } else { quoted = false }
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                quoted = true
                wasQuoted = true
            } else if c == "." {
                try finish()
            } else {
                current.append(c)
            }
            i += 1
        }
        if quoted { throw OnrampError("postgres.name", "'\(text)' has an unclosed double quote", at: field) }
        try finish()
        guard parts.count <= 2 else {
            throw OnrampError("postgres.name", "'\(text)' has more than schema.table", at: field)
        }
        self.parts = parts
    }

    /// The name as SQL: every part double-quoted.
    var sql: String { parts.map(SQLName.quote).joined(separator: ".") }

    /// The name as a person reads it (`public.orders`).
    var description: String { parts.joined(separator: ".") }

    /// One identifier double-quoted, inner quotes doubled: safe to splice into SQL.
    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
