import AsyncHTTPClient
import Foundation
import NIOCore
import OnrampCore

/// Where a connector's AWS credentials come from, in the standard chain's order: the config's keys;
/// the environment (`AWS_ACCESS_KEY_ID`, ...; CLI runs only: a server's environment is not the tenant's);
/// the container (ECS) or instance (EC2, IMDSv2) role, only when the operator allows it (a tenant must
/// never get the platform's role by default). Role credentials are cached until shortly before they expire.
public actor CredentialProvider {
    public enum Origin: Sendable, Equatable {
        case fixed(AWSCredentials)
        case instanceRole
    }

    let origin: Origin
    let environment: [String: String]
    let http: HTTPClient
    var cached: AWSCredentials?

    public init(_ origin: Origin, environment: [String: String] = [:], http: HTTPClient) {
        self.origin = origin
        self.environment = environment
        self.http = http
    }

    /// The chain for a config: its keys, else (CLI) the environment, else the role when `instanceRole`.
    /// No credentials anywhere is `s3.credentials` naming `field` (the key id field).
    public static func chain(accessKeyId: String?, secretAccessKey: String?, sessionToken: String?,
                             environment: [String: String]?, instanceRole: Bool, field: String,
                             http: HTTPClient) throws -> CredentialProvider {
        let prefix = field.split(separator: ".").dropLast().joined(separator: ".")
        if let id = accessKeyId, !id.isEmpty {
            guard let secret = secretAccessKey, !secret.isEmpty else {
                throw OnrampError("s3.credentials", "access_key_id is set but secret_access_key is not",
                                  at: prefix + ".secret_access_key")
            }
            return CredentialProvider(.fixed(AWSCredentials(accessKeyId: id, secretAccessKey: secret,
                                                            sessionToken: sessionToken)), http: http)
        }
        if let env = environment, let id = env["AWS_ACCESS_KEY_ID"], !id.isEmpty,
           let secret = env["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty {
            let token = env["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return CredentialProvider(.fixed(AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token)),
                                      http: http)
        }
        if instanceRole { return CredentialProvider(.instanceRole, environment: environment ?? [:], http: http) }
        let hint = environment == nil ? "give access_key_id and secret_access_key (a ${secret:NAME} for the secret)"
            : "give access_key_id and secret_access_key, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        throw OnrampError("s3.credentials", "no AWS credentials: \(hint)", at: field)
    }

    public func credentials() async throws -> AWSCredentials {
        switch origin {
        case .fixed(let c): return c
        case .instanceRole:
            if let c = cached, (c.expiration ?? .distantFuture) > Date().addingTimeInterval(300) { return c }
            let c = try await fetchRole()
            cached = c
            return c
        }
    }

    /// ECS task role or EKS Pod Identity when the container agent's variables are set, else the EC2 instance role over
    /// IMDSv2.
    private func fetchRole() async throws -> AWSCredentials {
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] {
            return try parse(try await get("http://169.254.170.2\(relative)", headers: [:]))
        }
        if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] {
            // EKS Pod Identity gives the token in a file that it rotates: read on every fetch.
            let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
                ?? environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"].flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return try parse(try await get(full, headers: token.map { ["Authorization": $0] } ?? [:]))
        }
        let base = "http://169.254.169.254/latest"
        var tokenRequest = HTTPClientRequest(url: "\(base)/api/token")
        tokenRequest.method = .PUT
        tokenRequest.headers.add(name: "X-aws-ec2-metadata-token-ttl-seconds", value: "21600")
        let token = try await body(tokenRequest)
        let auth = ["X-aws-ec2-metadata-token": token]
        let roles = try await get("\(base)/meta-data/iam/security-credentials/", headers: auth)
        guard let role = roles.split(whereSeparator: \.isNewline).first.map(String.init) else {
            throw OnrampError("s3.credentials", "the instance has no IAM role")
        }
        return try parse(try await get("\(base)/meta-data/iam/security-credentials/\(role)", headers: auth))
    }

    private func get(_ url: String, headers: [String: String]) async throws -> String {
        var request = HTTPClientRequest(url: url)
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        return try await body(request)
    }

    private func body(_ request: HTTPClientRequest) async throws -> String {
        do {
            let response = try await http.execute(request, timeout: .seconds(5))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            guard response.status.code == 200 else {
                throw OnrampError("s3.credentials", "the instance metadata service answered HTTP \(response.status.code)")
            }
            return text
        } catch let e as OnrampError {
            throw e
        } catch {
            throw OnrampError("s3.credentials", "cannot reach the instance metadata service for role credentials")
        }
    }

    private func parse(_ text: String) throws -> AWSCredentials {
        let v = try JSONParser.parse(Array(text.utf8))
        guard let id = v["AccessKeyId"]?.stringValue, let secret = v["SecretAccessKey"]?.stringValue else {
            throw OnrampError("s3.credentials", "the role credentials answer has no AccessKeyId/SecretAccessKey")
        }
        let expiration = v["Expiration"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: v["Token"]?.stringValue,
                              expiration: expiration)
    }
}
