import Foundation
import OnrampCore

/// A position in a list ordered newest first by (created_at, id): the next page starts after it.
/// Clients see it only as an opaque URL-safe token (`next_cursor`), which `init(token:)` reads back.
public struct PageCursor: Sendable, Equatable {
    public var createdAt: Date
    public var id: String

    public init(createdAt: Date, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    /// The cursor after a run.
    public init(after run: RunRecord) {
        self.init(createdAt: run.createdAt, id: run.id)
    }

    /// Whether an item with this creation time and id comes after the cursor (is older, or as old
    /// with a smaller id).
    public func precedes(createdAt: Date, id: String) -> Bool {
        createdAt < self.createdAt || (createdAt == self.createdAt && id < self.id)
    }

    /// The opaque token: base64url of `v1`, the time's exact bits and the id.
    public var token: String {
        Base64URL.encode("v1:\(String(createdAt.timeIntervalSinceReferenceDate.bitPattern, radix: 16)):\(id)")
    }

    /// Reads a token made by `token`; anything else is `page.cursor`.
    public init(token: String) throws {
        let invalid = OnrampError("page.cursor", "not a cursor from this API: pass next_cursor from the previous page unchanged",
                                  at: "cursor")
        guard let text = Base64URL.decode(token) else { throw invalid }
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let bits = UInt64(parts[1], radix: 16), !parts[2].isEmpty else { throw invalid }
        let seconds = Double(bitPattern: bits)
        guard seconds.isFinite else { throw invalid }
        self.init(createdAt: Date(timeIntervalSinceReferenceDate: seconds), id: String(parts[2]))
    }
}
