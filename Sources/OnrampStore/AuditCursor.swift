import Foundation

/// The opaque `cursor` of an audit page: base64url of `audit:<sequence>` of the page's last entry.
public enum AuditCursor {
    public static func encode(_ sequence: Int64) -> String {
        Data("audit:\(sequence)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Nil when `cursor` is not one this server made.
    public static func decode(_ cursor: String) -> Int64? {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard cursor.count <= 64, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
              text.hasPrefix("audit:"), let sequence = Int64(text.dropFirst(6)), sequence > 0 else { return nil }
        return sequence
    }
}
