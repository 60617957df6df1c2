import AsyncHTTPClient
import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampHTTPSupport

/// The config fields every S3 connector shares (bucket, region, endpoint, addressing, keys) and the
/// client they make. Environment credentials are used only in CLI runs (a local file area).
struct S3Connection: Decodable, Sendable {
    var bucket: String
    var region: String
    var endpoint: String?
    var addressingStyle: String
    var accessKeyId: String?
    var secretAccessKey: String?
    var sessionToken: String?

    /// The redirect-free client for credentials (instance metadata is reached directly, never through
    /// the egress proxy that tenant requests go through: see `OutboundClient`).
    static let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                 configuration: HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                                         timeout: .init(connect: .seconds(5))))

    func client(_ resources: ConnectorResources, field: String) throws -> S3Client {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
        guard (3...63).contains(bucket.count), bucket.allSatisfy(allowed.contains), !bucket.contains(".."),
              bucket.first?.isLetter == true || bucket.first?.isNumber == true else {
            throw OnrampError("config.invalid", "not a bucket name (3 to 63 letters, digits, '.', '-', '_')",
                              at: "\(field).bucket")
        }
        // The region names AWS's host when there is no endpoint: "x.example#" would make it x.example.
        let regionName = region.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        guard (1...64).contains(region.utf8.count), regionName else {
            throw OnrampError("config.invalid", "not a region name (lower-case letters, digits and '-')",
                              at: "\(field).region")
        }
        let environment = resources.files.isConfined ? nil : ProcessInfo.processInfo.environment
        let credentials = try CredentialProvider.chain(
            accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken,
            environment: environment, instanceRole: resources.egress.instanceCredentials,
            field: "\(field).access_key_id", http: Self.http)
        let pathStyle: Bool? = addressingStyle == "path" ? true : addressingStyle == "virtual" ? false : nil
        var client = try S3Client(bucket: bucket, region: region, endpoint: endpoint, pathStyle: pathStyle,
                                  credentials: credentials, http: try OutboundClient.client(for: resources.egress,
                                                                                            connectSeconds: 5),
                                  egress: resources.egress, field: field)
        client.sleep = resources.clock.sleep
        return client
    }

    static let properties: Value.Object = [
        "bucket": ["type": "string", "minLength": 3, "title": "Bucket", "description": "The bucket's name",
                   "examples": ["orders-eu"]],
        "region": ["type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[a-z0-9-]+$", "default": "us-east-1",
                   "title": "Region",
                   "description": "The bucket's region (S3-compatible stores: what they expect, often us-east-1)",
                   "examples": ["eu-central-1", "auto"]],
        "endpoint": ["type": "string", "minLength": 1, "title": "Endpoint", "x-origin": true,
                     "description": "An S3-compatible store's URL (MinIO, Ceph, R2); empty: AWS's regional endpoint",
                     "examples": ["https://minio.example.com:9000", "https://ACCOUNT.r2.cloudflarestorage.com"]],
        "addressing_style": ["type": "string", "enum": ["auto", "path", "virtual"], "default": "auto",
                             "title": "Addressing style",
                             "description": .string("virtual: bucket.host/key; path: host/bucket/key; auto: virtual on AWS "
                                 + "(path for bucket names with dots), path with an endpoint")],
        "access_key_id": ["type": "string", "minLength": 1, "title": "Access key id",
                          "description": .string("Empty: AWS_ACCESS_KEY_ID (CLI runs), then the instance role where the "
                              + "operator allows it"), "examples": ["AKIAIOSFODNN7EXAMPLE"]],
        "secret_access_key": ["type": "string", "minLength": 1, "x-secret": true, "format": "password",
                              "title": "Secret access key", "description": "Write ${secret:NAME}, never the key itself",
                              "examples": ["${secret:S3_SECRET}"]],
        "session_token": ["type": "string", "minLength": 1, "x-secret": true, "format": "password",
                          "title": "Session token", "description": "For temporary credentials (STS)",
                          "examples": ["${secret:S3_SESSION_TOKEN}"]],
    ]
}
