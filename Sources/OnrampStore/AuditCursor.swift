import Foundation
import OnrampCore

/// The opaque `cursor` of an audit page: base64url of `audit:<sequence>` of the page's last entry.
public enum AuditCursor {
    public static func encode(_ sequence: Int64) -> String {
        Base64URL.encode("audit:\(sequence)")
    }

    /// Nil when `cursor` is not one this server made.
    public static func decode(_ cursor: String) -> Int64? {
        guard cursor.count <= 64, let text = Base64URL.decode(cursor), text.hasPrefix("audit:"), let sequence = Int64(text.dropFirst(6)), sequence > 0 else { return nil }
        return sequence
    }
}
