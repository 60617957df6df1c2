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

    /// A web identity (EKS IRSA: `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN`) exchanged with STS; the ECS task
    /// role or EKS Pod Identity when the container agent's variables are set; else the EC2 instance role over IMDSv2.
    private func fetchRole() async throws -> AWSCredentials {
        if let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], let role = environment["AWS_ROLE_ARN"] {
            return try await assumeRoleWithWebIdentity(tokenFile: tokenFile, role: role)
        }
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

    /// STS `AssumeRoleWithWebIdentity` with the token in `tokenFile` (read on every fetch: it is rotated). The request
    /// is not signed: the token is the proof.
    private func assumeRoleWithWebIdentity(tokenFile: String, role: String) async throws -> AWSCredentials {
        guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
              !token.isEmpty, token.utf8.count <= 20_000 else {
            throw OnrampError("s3.credentials", "cannot read the web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)", at: tokenFile)
        }
        let region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"]
        let endpoint = environment["AWS_ENDPOINT_URL_STS"] ?? region.map { "https://sts.\($0).amazonaws.com" } ?? "https://sts.amazonaws.com"
        let session = environment["AWS_ROLE_SESSION_NAME"] ?? "onramp-\(Int(Date().timeIntervalSince1970))"
        let form = [("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", role),
                    ("RoleSessionName", session), ("WebIdentityToken", token)]
            .map { "\($0.0)=\(SigV4.encode($0.1, keepSlash: false))" }.joined(separator: "&")
        var request = HTTPClientRequest(url: endpoint.hasSuffix("/") ? endpoint : endpoint + "/")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: form))
        return try Self.assumedRole(try await body(request, from: "STS at \(endpoint)"), role: role)
    }

    /// The credentials of an `AssumeRoleWithWebIdentity` answer.
    static func assumedRole(_ xml: String, role: String) throws -> AWSCredentials {
        let answer = S3XML(xml)
        guard let id = answer.texts["AccessKeyId"], let secret = answer.texts["SecretAccessKey"] else {
            throw OnrampError("s3.credentials", "STS answered AssumeRoleWithWebIdentity for \(role) without credentials")
        }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: answer.texts["SessionToken"],
                              expiration: answer.texts["Expiration"].flatMap(Self.date))
    }

    private func get(_ url: String, headers: [String: String]) async throws -> String {
        var request = HTTPClientRequest(url: url)
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        return try await body(request)
    }

    private func body(_ request: HTTPClientRequest, from what: String = "the instance metadata service") async throws -> String {
        do {
            let response = try await http.execute(request, timeout: .seconds(5))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            guard response.status.code == 200 else {
                let code = S3XML(text).texts["Code"].map { " (\($0))" } ?? ""
                throw OnrampError("s3.credentials", "\(what) answered HTTP \(response.status.code)\(code)")
            }
            return text
        } catch let e as OnrampError {
            throw e
        } catch {
            throw OnrampError("s3.credentials", "cannot reach \(what) for role credentials")
        }
    }

    private func parse(_ text: String) throws -> AWSCredentials {
        let v = try JSONParser.parse(Array(text.utf8))
        guard let id = v["AccessKeyId"]?.stringValue, let secret = v["SecretAccessKey"]?.stringValue else {
            throw OnrampError("s3.credentials", "the role credentials answer has no AccessKeyId/SecretAccessKey")
        }
        let expiration = v["Expiration"]?.stringValue.flatMap(Self.date)
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: v["Token"]?.stringValue,
                              expiration: expiration)
    }

    /// An ISO 8601 time, with or without fractions of a second (STS and the metadata services write either).
    static func date(_ text: String) -> Date? {
        if let d = ISO8601DateFormatter().date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
