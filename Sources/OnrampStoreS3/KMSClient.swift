import AsyncHTTPClient
import Foundation
import NIOCore
import OnrampConnectorsS3
import OnrampCore

/// AWS KMS (or an endpoint speaking its JSON protocol, such as moto's): `Encrypt` and `Decrypt` of small blobs under
/// one key, with an encryption context, signed with Signature V4 from the AWS credential chain.
public struct KMSClient: Sendable {
    public let keyId: String
    let region: String
    let endpoint: String
    let credentials: CredentialProvider
    let http: HTTPClient

    /// `keyId`: a key id, ARN or `alias/…`; `endpoint`: `http(s)://HOST[:PORT]` (default `https://kms.REGION.amazonaws.com`).
    public init(keyId: String, region: String?, endpoint: String?, environment: [String: String],
                field: String = "--kms-key") throws {
        guard !keyId.isEmpty, keyId.utf8.count <= 2048, !keyId.contains(where: \.isNewline) else {
            throw OnrampError("config.invalid", "give a KMS key id, ARN or alias/NAME", at: field)
        }
        let region = region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        guard region.range(of: #"^[a-z]{2}(-[a-z]+)+-[0-9]+$"#, options: .regularExpression) != nil else {
            throw OnrampError("config.invalid", "\(region) is not an AWS region name", at: field)
        }
        let endpoint = endpoint ?? "https://kms.\(region).amazonaws.com"
        guard let url = URL(string: endpoint), ["http", "https"].contains(url.scheme ?? ""), url.host != nil,
              url.path.isEmpty || url.path == "/", url.query == nil else {
            throw OnrampError("config.invalid", "\(endpoint) is not an endpoint URL (http(s)://HOST[:PORT])",
                              at: "--kms-endpoint")
        }
        self.keyId = keyId
        self.region = region
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        http = S3ArtifactStore.http
        credentials = try CredentialProvider.chain(accessKeyId: nil, secretAccessKey: nil, sessionToken: nil,
                                                   environment: environment, instanceRole: true, field: field, http: http)
    }

    /// `plaintext` encrypted under the key, bound to `context` (Decrypt needs the same context).
    public func encrypt(_ plaintext: Data, context: [String: String]) async throws -> Data {
        try await blob("Encrypt", giving: plaintext, as: "Plaintext", answer: "CiphertextBlob", context: context)
    }

    /// The plaintext of a blob `encrypt` made under this key with the same `context`.
    public func decrypt(_ blob: Data, context: [String: String]) async throws -> Data {
        try await self.blob("Decrypt", giving: blob, as: "CiphertextBlob", answer: "Plaintext", context: context)
    }

    /// `action` with `bytes` in the field `input` (base64) under this key and `context`: the bytes of the answer's
    /// field `output`.
    private func blob(_ action: String, giving bytes: Data, as input: String, answer output: String,
                      context: [String: String]) async throws -> Data {
        let answer = try await send(action, ["KeyId": .string(keyId), input: .string(bytes.base64EncodedString()),
                                             "EncryptionContext": Self.context(context)])
        guard let data = answer[output]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else {
            throw OnrampError("kms.answer", "KMS answered \(action) without a \(output)")
        }
        return data
    }

    private static func context(_ c: [String: String]) -> Value { .object(Value.Object(uniqueKeysWithValues: c.map { ($0, .string($1)) })) }

    /// Any KMS action (`TrentService.ACTION`) with a JSON body, signed with this client's credentials: its answer.
    public func send(_ action: String, _ body: Value.Object) async throws -> Value {
        let bytes = Array(JSONWriter.string(.object(body)).utf8)
        let host = String(endpoint.drop { $0 != "/" }.dropFirst(2))
        for attempt in 1...3 {
            let creds = try await credentials.credentials()
            let now = Date()
            var headers = [("host", host), ("x-amz-date", SigV4.timestamp(now)), ("content-type", "application/x-amz-json-1.1"),
                           ("x-amz-target", "TrentService.\(action)")]
            if let token = creds.sessionToken { headers.append(("x-amz-security-token", token)) }
            let auth = SigV4(credentials: creds, region: region, service: "kms")
                .authorization(method: "POST", path: "/", query: [], headers: headers, payloadHash: SigV4.hash(bytes), date: now)
            var request = HTTPClientRequest(url: endpoint + "/")
            request.method = .POST
            for (k, v) in headers where k != "host" { request.headers.add(name: k, value: v) }
            request.headers.add(name: "Authorization", value: auth)
            request.body = .bytes(ByteBuffer(bytes: bytes))
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: .seconds(15))
            } catch {
                if attempt < 3 { try await Task.sleep(for: .milliseconds(200 * attempt)); continue }
                throw OnrampError("kms.connect", "cannot reach KMS at \(endpoint): \(error)", at: "--kms-endpoint")
            }
            guard let text = try? await response.body.collect(upTo: 1 << 20) else {
                throw OnrampError("kms.answer", "KMS at \(endpoint) answered \(action) with more than 1 MiB, or broke off",
                                  at: "--kms-endpoint")
            }
            let answer = (try? JSONParser.parse(Array(buffer: text))) ?? .null
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return answer }
            if status >= 500, attempt < 3 { try await Task.sleep(for: .milliseconds(500 * attempt)); continue }
            let type = (answer["__type"]?.stringValue ?? "HTTP \(status)").split(separator: "#").last.map(String.init) ?? ""
            let message = answer["message"]?.stringValue ?? answer["Message"]?.stringValue ?? ""
            throw OnrampError("kms.refused", "KMS refused \(action) with key \(keyId): \(type)\(message.isEmpty ? "" : ": \(message)")",
                              at: "--kms-key")
        }
        throw OnrampError("kms.connect", "cannot reach KMS at \(endpoint)", at: "--kms-endpoint")
    }
}
