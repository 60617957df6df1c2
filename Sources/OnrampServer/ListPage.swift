import Foundation
import Hummingbird
import OnrampCore

/// Paging over a list the handler holds whole (the store's bounded lists): `limit` (1-500, default 500) and an
/// opaque `cursor` (the previous page's `next_cursor`, naming the last key it had). Items are ordered by a unique
/// key, so a page stays right when items before it are added or removed.
struct ListPage {
    static let defaultLimit = 500
    let limit: Int
    let after: String?

    /// Reads `limit` and `cursor`; any query parameter outside `allowed` (plus those two) is a 422.
    init(_ request: Request, allowed: Set<String> = []) throws {
        let q = try QueryValues(request, allowed: allowed.union(["limit", "cursor"]))
        limit = try q.integer("limit", default: Self.defaultLimit, in: 1...500)
        after = try q.string("cursor").map(Self.decode)
    }

    /// The page of `items` after the cursor, ordered by `key`, with the cursor of the next page (nil on the last).
    func slice<T>(_ items: [T], key: (T) -> String) -> (items: [T], next: Value) {
        let sorted = items.map { (key($0), $0) }.sorted { $0.0 < $1.0 }
        let rest = after.map { a in sorted.drop(while: { $0.0 <= a }) } ?? sorted[...]
        let page = rest.prefix(limit)
        let next: Value = rest.count > limit ? page.last.map { .string(Self.encode($0.0)) } ?? .null : .null
        return (page.map(\.1), next)
    }

    static func encode(_ key: String) -> String { Base64URL.encode("k1:" + key) }

    static func decode(_ token: String) throws -> String {
        guard token.utf8.count <= 2048, let plain = Base64URL.decode(token), plain.hasPrefix("k1:") else {
            throw APIError(.unprocessableContent, "invalid", "cursor is not one this server returned", field: "cursor")
        }
        return String(plain.dropFirst(3))
    }

    /// A key that orders by creation time, then id (ISO times of one length sort as text).
    static func createdKey(_ at: Date, _ id: String) -> String { ISOTime.string(at) + "|" + id }
}
