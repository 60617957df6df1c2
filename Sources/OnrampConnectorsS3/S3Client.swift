import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import OnrampConnectorKit
import OnrampCore
import OnrampHTTPSupport

/// A bucket on S3 or an S3-compatible store: where requests go (virtual-hosted or path-style) and how
/// they are signed. Every request checks the egress policy first; answers S3 refuses become
/// `OnrampError`s a person can act on (missing bucket, denied key, unreachable endpoint).
public struct S3Client: Sendable {
    public struct Object: Sendable, Equatable {
        public var key: String
        public var etag: String
        public var size: Int64
    }

    public struct Page: Sendable {
        public var objects: [Object]
        public var nextToken: String?
    }

    public let bucket: String
    let scheme: String
    /// The endpoint's host (with `:port` when not the scheme's default).
    let endpointHost: String
    let region: String
    let pathStyle: Bool
    let credentials: CredentialProvider
    let http: HTTPClient
    let egress: EgressPolicy
    /// The config path errors name (`source.config`, `destination.config`).
    let field: String
    var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

    /// `endpoint` nil: AWS's regional endpoint, virtual-hosted unless the bucket name has a dot.
    public init(bucket: String, region: String, endpoint: String?, pathStyle: Bool?, credentials: CredentialProvider,
                http: HTTPClient, egress: EgressPolicy, field: String) throws {
        let base = endpoint ?? "https://s3.\(region).amazonaws.com"
        guard let url = URLComponents(string: base), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty,
              url.path.isEmpty || url.path == "/" else {
            throw OnrampError("config.url", "endpoint must be http(s)://host[:port] with no path", at: "\(field).endpoint")
        }
        self.bucket = bucket
        self.scheme = scheme
        let defaultPort = scheme == "https" ? 443 : 80
        endpointHost = url.port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
        self.region = region
        self.pathStyle = pathStyle ?? (endpoint != nil || bucket.contains("."))
        self.credentials = credentials
        self.http = http
        self.egress = egress
        self.field = field
    }

    /// The host and unencoded path a request for `key` (nil: the bucket itself) goes to.
    func target(_ key: String?) -> (host: String, path: String) {
        if pathStyle { return (endpointHost, "/\(bucket)" + (key.map { "/" + $0 } ?? "")) }
        return ("\(bucket).\(endpointHost)", "/" + (key ?? ""))
    }

    /// `s3://bucket/key` (positions and messages name objects this way).
    public func uri(_ key: String) -> String { "s3://\(bucket)/\(key)" }

    /// Sends a signed request; retries 500/503 and failures other than a refused connection twice.
    /// Non-2xx answers throw.
    func send(_ method: HTTPMethod, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
              body: [UInt8] = [], timeout: TimeAmount = .seconds(60), what: String,
              place: String? = nil) async throws -> HTTPClientResponse {
        let (host, path) = target(key)
        var url = "\(scheme)://\(host)\(SigV4.encode(path, keepSlash: true))"
        if !query.isEmpty {
            url += "?" + query.map { "\(SigV4.encode($0.0, keepSlash: false))=\(SigV4.encode($0.1, keepSlash: false))" }
                .joined(separator: "&")
        }
        try await egress.check(url: url, field: "\(field).endpoint")
        let payloadHash = SigV4.hash(body)
        var attempt = 0
        while true {
            attempt += 1
            let creds = try await credentials.credentials()
            let now = Date()
            var signed = headers + [("host", host), ("x-amz-date", SigV4.timestamp(now)),
                                    ("x-amz-content-sha256", payloadHash)]
            if let token = creds.sessionToken { signed.append(("x-amz-security-token", token)) }
            let auth = SigV4(credentials: creds, region: region).authorization(
                method: method.rawValue, path: path, query: query, headers: signed, payloadHash: payloadHash, date: now)
            var request = HTTPClientRequest(url: url)
            request.method = method
            for (k, v) in signed { request.headers.add(name: k, value: v) }
            request.headers.add(name: "Authorization", value: auth)
            if !body.isEmpty || method == .PUT || method == .POST {
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: timeout)
            } catch {
                let reason = TransportErrorText.describe(error)
                if attempt < 3, reason != "connection refused" { try await sleep(.milliseconds(200 * attempt)); continue }
                throw OnrampError("s3.connect", "cannot connect to \(scheme)://\(host): \(reason)", at: "\(field).endpoint")
            }
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return response }
            let text = method == .HEAD ? "" : String(buffer: (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer())
            if (status == 500 || status == 503) && attempt < 3 {
                try await sleep(.milliseconds(500 * attempt))
                continue
            }
            throw failure(status: status, xml: text, key: key, what: what, place: place)
        }
    }

    /// The error for an S3 error answer, in words that say what to fix.
    func failure(status: Int, xml: String, key: String?, what: String, place: String? = nil) -> OnrampError {
        let answer = S3XML(xml)
        let code = answer.texts["Code"] ?? (status == 404 ? (key == nil ? "NoSuchBucket" : "NoSuchKey") : "")
        let message = answer.texts["Message"] ?? "HTTP \(status)"
        let place = place ?? uri(key ?? "")
        switch code {
        case "NoSuchBucket":
            return OnrampError("s3.no_bucket", "bucket \(bucket) not found", at: "\(field).bucket")
        case "NoSuchKey":
            return OnrampError("s3.no_key", "object \(place) not found", at: field)
        case "InvalidAccessKeyId":
            return OnrampError("s3.access_denied", "access denied to \(place): the access key id is not known; check the key",
                               at: "\(field).access_key_id")
        case "SignatureDoesNotMatch":
            return OnrampError("s3.access_denied",
                               "access denied to \(place): the secret access key does not match the key id; check the key",
                               at: "\(field).secret_access_key")
        case "AccessDenied", "ExpiredToken", "InvalidToken", "AllAccessDisabled":
            return OnrampError("s3.access_denied", "access denied to \(place) (\(what)): check the key and its policy",
                               at: "\(field).access_key_id")
        case "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException":
            return OnrampError("s3.region", "bucket \(bucket) is not in region \(region): \(message)", at: "\(field).region")
        default:
            if status == 403 {
                return OnrampError("s3.access_denied", "access denied to \(place) (\(what)): check the key",
                                   at: "\(field).access_key_id")
            }
            if (300..<400).contains(status) {
                return OnrampError("s3.region", "S3 redirected the request (HTTP \(status)): check region and endpoint",
                                   at: "\(field).region")
            }
            return OnrampError("s3.http", "\(what) \(place) failed: HTTP \(status) \(code) \(message)"
                .trimmingCharacters(in: .whitespaces), at: field)
        }
    }

    /// One page of ListObjectsV2 under `prefix`.
    public func list(prefix: String, continuationToken: String?, maxKeys: Int = 1000) async throws -> Page {
        var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(maxKeys))]
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        let response = try await send(.GET, key: nil, query: query, what: "listing", place: uri(prefix))
        let xml = String(buffer: try await response.body.collect(upTo: 64 << 20))
        let answer = S3XML(xml)
        let objects = (answer.groups["Contents"] ?? []).compactMap { fields -> Object? in
            guard let key = fields["Key"] else { return nil }
            let etag = (fields["ETag"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return Object(key: key, etag: etag, size: Int64(fields["Size"] ?? "") ?? 0)
        }
        let truncated = answer.texts["IsTruncated"] == "true"
        return Page(objects: objects, nextToken: truncated ? answer.texts["NextContinuationToken"] : nil)
    }

    /// Every object under `prefix`, page by page, in key order.
    public func listAll(prefix: String, maxKeys: Int = 1000) async throws -> [Object] {
        var out: [Object] = []
        var token: String?
        repeat {
            let page = try await list(prefix: prefix, continuationToken: token, maxKeys: maxKeys)
            out += page.objects
            token = page.nextToken
        } while token != nil
        return out
    }

    /// Streams `key` into a new file at `path` (owner-only); more than `maxBytes` is `s3.too_large`.
    public func download(_ key: String, to path: String, maxBytes: Int64) async throws -> Int64 {
        let response = try await send(.GET, key: key, timeout: .hours(6), what: "reading")
        return try await ResponseDownload.save(
            response.body, to: path, maxBytes: maxBytes,
            cannotCreate: OnrampError("s3.scratch", "cannot create a temporary file for \(uri(key))"),
            tooLarge: OnrampError("s3.too_large", "\(uri(key)) is larger than max_object_bytes (\(maxBytes))",
                                  at: "\(field).max_object_bytes"))
    }

    /// Writes one object; its ETag.
    @discardableResult
    public func put(_ key: String, body: [UInt8], contentType: String = "application/octet-stream") async throws -> String {
        let response = try await send(.PUT, key: key, headers: [("content-type", contentType)], body: body, what: "writing")
        return response.headers.first(name: "ETag") ?? ""
    }

    public func delete(_ key: String) async throws {
        _ = try await send(.DELETE, key: key, what: "deleting")
    }

    /// Copies `source` (in this bucket) to `key`.
    public func copy(_ source: String, to key: String) async throws {
        let from = "/\(bucket)/" + SigV4.encode(source, keepSlash: true)
        let response = try await send(.PUT, key: key, headers: [("x-amz-copy-source", from)], what: "copying")
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        if S3XML.text("Code", in: text) != nil { throw failure(status: 200, xml: text, key: key, what: "copying") }
    }

    /// Replaces the object's tags with `tags`.
    public func tag(_ key: String, _ tags: [(String, String)]) async throws {
        let body = "<Tagging><TagSet>" + tags.map {
            "<Tag><Key>\(S3XML.escape($0.0))</Key><Value>\(S3XML.escape($0.1))</Value></Tag>"
        }.joined() + "</TagSet></Tagging>"
        let bytes = Array(body.utf8)
        let md5 = Data(Insecure.MD5.hash(data: bytes)).base64EncodedString()
        _ = try await send(.PUT, key: key, query: [("tagging", "")], headers: [("content-md5", md5)], body: bytes,
                           what: "tagging")
    }

    /// The object's tags, in the order S3 gives them.
    public func tags(_ key: String) async throws -> [(String, String)] {
        let response = try await send(.GET, key: key, query: [("tagging", "")], what: "reading the tags of")
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return (S3XML(text).groups["Tag"] ?? []).map { ($0["Key"] ?? "", $0["Value"] ?? "") }
    }

    /// Succeeds when the bucket exists and the key may reach it.
    public func headBucket() async throws {
        _ = try await send(.HEAD, key: nil, what: "reaching")
    }

    public func createBucket() async throws {
        var body: [UInt8] = []
        if region != "us-east-1" {
            body = Array(("<CreateBucketConfiguration><LocationConstraint>\(region)</LocationConstraint>"
                + "</CreateBucketConfiguration>").utf8)
        }
        _ = try await send(.PUT, key: nil, body: body, what: "creating")
    }
}
