import Crypto
import Foundation
import OnrampCore

/// `$hash` and `$uuid`: digests of a value as lowercase hex, and random (version 4) UUIDs.
enum ValueHash {
    /// The digest of a string's UTF-8, or of any other value's JSON text (`{"a":1}`, `12.5`, `true`).
    static func hex(_ value: Value, algorithm: String) throws(OnrampError) -> String {
        let text: String
        if case .string(let s) = value { text = s } else { text = JSONWriter.string(value) }
        let bytes = Array(text.utf8)
        switch algorithm.lowercased() {
        case "sha256", "sha-256": return Hex.string(SHA256.hash(data: bytes))
        case "sha1", "sha-1": return Hex.string(Insecure.SHA1.hash(data: bytes))
        case "md5": return Hex.string(Insecure.MD5.hash(data: bytes))
        case "sha512", "sha-512": return Hex.string(SHA512.hash(data: bytes))
        default:
            throw CleansingText.error("clean.hash", algorithm, "is not a hash algorithm: expected sha256, sha1, md5 or sha512")
        }
    }

    /// A random version 4 UUID in lowercase (`UUID()` reads the system's random source): different on every call.
    static func uuid() -> String { UUID().uuidString.lowercased() }
}
