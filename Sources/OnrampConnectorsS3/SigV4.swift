import Crypto
import Foundation
import OnrampCore

/// An access key pair, with the session token temporary credentials carry.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// When temporary credentials stop working (nil: they do not expire).
    public var expiration: Date?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }
}

/// AWS Signature Version 4 (header-based): the canonical request, the string to sign and the
/// `Authorization` header for a request whose headers (`host`, `x-amz-date`, ...) are all signed.
public struct SigV4: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public static let emptyPayloadHash = hash([])

    /// The hex SHA-256 of a payload (the `x-amz-content-sha256` value).
    public static func hash(_ bytes: [UInt8]) -> String { Hex.string(SHA256.hash(data: bytes)) }

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// `20130524T000000Z` for `date`.
    public static func timestamp(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    /// The canonical request. `path` is the unencoded absolute path (S3 encodes it once, `/` kept);
    /// `headers` are every header to sign (names in any case, values trimmed here).
    public func canonicalRequest(method: String, path: String, query: [(String, String)], headers: [(String, String)],
                                 payloadHash: String) -> (text: String, signedHeaders: String) {
        let pairs: [(String, String)] = query.map { (Self.encode($0.0, keepSlash: false), Self.encode($0.1, keepSlash: false)) }
        let sorted = pairs.sorted { (a: (String, String), b: (String, String)) -> Bool in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        let encodedQuery = sorted.map { (k: String, v: String) -> String in k + "=" + v }.joined(separator: "&")
        let canonicalHeaders: [(String, String)] = headers.map { ($0.0.lowercased(), Self.trim($0.1)) }
            .sorted { (a: (String, String), b: (String, String)) -> Bool in a.0 < b.0 }
        let signed = canonicalHeaders.map(\.0).joined(separator: ";")
        let text = [method, Self.encode(path.isEmpty ? "/" : path, keepSlash: true), encodedQuery,
                    canonicalHeaders.map { "\($0.0):\($0.1)\n" }.joined(), signed, payloadHash].joined(separator: "\n")
        return (text, signed)
    }

    /// The `Authorization` header value for a request signed at `date` (the `x-amz-date` header must say the same).
    public func authorization(method: String, path: String, query: [(String, String)], headers: [(String, String)],
                              payloadHash: String, date: Date) -> String {
        let (canonical, signed) = canonicalRequest(method: method, path: path, query: query, headers: headers,
                                                   payloadHash: payloadHash)
        let stamp = Self.timestamp(date)
        let day = String(stamp.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", stamp, scope, Hex.string(SHA256.hash(data: Data(canonical.utf8)))]
            .joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = Hex.string(HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: key))
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope),SignedHeaders=\(signed),Signature=\(signature)"
    }

    /// URI-encodes per SigV4: unreserved characters stay, every other byte is `%XX` (upper case).
    public static func encode(_ s: String, keepSlash: Bool) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                let digits = Array("0123456789ABCDEF")
                out.append("%")
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 0xF)])
            }
        }
        return out
    }

    /// Trims a header value and folds runs of spaces into one.
    static func trim(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
    }
}
