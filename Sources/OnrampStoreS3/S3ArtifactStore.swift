import AsyncHTTPClient
import Foundation
import OnrampConnectorsS3
import OnrampCore
import OnrampStore

/// Run artifacts in an S3 bucket (or MinIO, Ceph, R2) under a prefix, signed with the operator's credentials
/// (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, else the container or instance role). Objects are the sealed
/// artifacts as they are on disk: the bucket never holds plain content. Files past `partSize` go up in parts.
public struct S3ArtifactStore: ArtifactStore {
    let client: S3Client
    let prefix: String
    let partSize: Int
    /// The largest object `get` fetches (a run's outputs are bounded by `--run-max-output-mb`).
    let maxObjectBytes: Int64
    /// Whether requests are signed with the container's or instance's role (no keys in the environment).
    public let usesInstanceRole: Bool
    public var location: String { "s3://\(client.bucket)/\(prefix)" }

    static let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                 configuration: HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                                         timeout: .init(connect: .seconds(5))))

    /// `url`: `s3://BUCKET[/PREFIX][?region=R&endpoint=http(s)://HOST:PORT&path_style=true]` (region `us-east-1`
    /// unless given). A URL that is not one is `config.invalid` naming `field`.
    public init(url: String, environment: [String: String], field: String = "--artifacts",
                partSize: Int = 8 << 20, maxObjectBytes: Int64 = 16 << 30) throws {
        guard let parts = URLComponents(string: url), parts.scheme == "s3", let bucket = parts.host, !bucket.isEmpty else {
            throw OnrampError("config.invalid", "not an object store URL: give s3://BUCKET/PREFIX?region=…", at: field)
        }
        var query: [String: String] = [:]
        for item in parts.queryItems ?? [] {
            guard ["region", "endpoint", "path_style"].contains(item.name), let value = item.value, !value.isEmpty else {
                throw OnrampError("config.invalid", "unknown or empty parameter \(item.name) (region, endpoint, path_style)",
                                  at: field)
            }
            query[item.name] = value
        }
        let credentials = try CredentialProvider.chain(accessKeyId: nil, secretAccessKey: nil, sessionToken: nil,
                                                       environment: environment, instanceRole: true, field: field,
                                                       http: Self.http)
        let client = try S3Client(bucket: bucket, region: query["region"] ?? environment["AWS_REGION"] ?? "us-east-1",
                                  endpoint: query["endpoint"], pathStyle: query["path_style"].map { $0 == "true" },
                                  credentials: credentials, http: Self.http, egress: .unrestricted, field: field)
        let path = parts.path.split(separator: "/").joined(separator: "/")
        self.init(client: client, prefix: path.isEmpty ? "" : path + "/", partSize: partSize, maxObjectBytes: maxObjectBytes,
                  usesInstanceRole: (environment["AWS_ACCESS_KEY_ID"] ?? "").isEmpty
                      || (environment["AWS_SECRET_ACCESS_KEY"] ?? "").isEmpty)
    }

    init(client: S3Client, prefix: String, partSize: Int, maxObjectBytes: Int64 = 16 << 30, usesInstanceRole: Bool = false) {
        self.client = client
        self.prefix = prefix
        self.partSize = max(partSize, 5 << 20)
        self.maxObjectBytes = maxObjectBytes
        self.usesInstanceRole = usesInstanceRole
    }

    public func check() async throws { try await client.headBucket() }

    public func put(_ name: String, file path: String) async throws {
        guard let input = FileHandle(forReadingAtPath: path) else {
            throw OnrampError("artifact.read", "cannot read the artifact to upload", at: path)
        }
        defer { try? input.close() }
        let key = prefix + name
        let first = input.readData(ofLength: partSize)
        guard first.count == partSize else {
            try await client.put(key, body: [UInt8](first))
            return
        }
        let upload = try await client.createMultipartUpload(key, contentType: "application/octet-stream")
        do {
            var etags: [String] = []
            var part = first
            while !part.isEmpty {
                etags.append(try await client.uploadPart(key, uploadId: upload, number: etags.count + 1, body: [UInt8](part)))
                part = input.readData(ofLength: partSize)
            }
            try await client.completeMultipartUpload(key, uploadId: upload, etags: etags)
        } catch {
            await client.abortMultipartUpload(key, uploadId: upload)
            throw error
        }
    }

    public func delete(_ name: String) async throws { try await client.delete(prefix + name) }

    public func get(_ name: String, to path: String) async throws -> Bool {
        do {
            _ = try await client.download(prefix + name, to: path, maxBytes: maxObjectBytes)
            return true
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            if let e = error as? OnrampError, e.code == "s3.no_key" { return false }
            throw error
        }
    }
}
