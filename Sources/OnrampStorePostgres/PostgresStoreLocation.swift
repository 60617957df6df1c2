import Foundation
import NIOSSL
import PostgresNIO

/// A PostgreSQL store named by a URL: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?sslmode=…&sslrootcert=…`
/// with `sslmode` `disable`, `require` (TLS, certificate unchecked) or `verify-full` (the default: the certificate
/// checked against `sslrootcert`, or the system roots, and the host name), `schema` (the tables' schema) and `pool`
/// (connections at most). The password may instead come from `PGPASSWORD`, so that it is on no command line.
public struct PostgresStoreLocation: Sendable, Equatable {
    public enum SSLMode: String, Sendable { case disable, require, verifyFull = "verify-full" }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslmode: SSLMode
    public var rootCertificate: String?
    public var schema: String?
    public var pool: Int

    /// True when `text` names a PostgreSQL store (and not a SQLite file).
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `text`; every refusal names the part of the URL to fix (and never repeats the password).
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.isPostgres(text), let url = URLComponents(string: text) else {
            throw PostgresStoreError("--store: not a postgres://USER@HOST:PORT/DATABASE URL")
        }
        guard let host = url.host, !host.isEmpty else { throw PostgresStoreError("--store: the URL names no host") }
        guard let user = url.user, !user.isEmpty else { throw PostgresStoreError("--store: the URL names no user") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresStoreError("--store: the URL names no database (postgres://USER@HOST/DATABASE)")
        }
        self.host = host
        self.port = url.port ?? 5432
        self.user = user
        self.password = url.password ?? environment["PGPASSWORD"]
        self.database = database
        sslmode = .verifyFull
        pool = 20
        for item in url.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw PostgresStoreError("--store: sslmode is disable, require or verify-full, not \(value)")
                }
                sslmode = mode
            case "sslrootcert": rootCertificate = value
            case "schema": schema = value
            case "pool":
                guard let n = Int(value), (1...500).contains(n) else {
                    throw PostgresStoreError("--store: pool is a number of connections from 1 to 500, not \(value)")
                }
                pool = n
            default:
                throw PostgresStoreError("--store: unknown URL parameter \(item.name) (sslmode, sslrootcert, schema, pool)")
            }
        }
    }

    /// The URL again, without the password (for logs and child processes, which get it from `PGPASSWORD`).
    public var redacted: String {
        var url = URLComponents()
        url.scheme = "postgres"
        url.user = user
        url.host = host
        url.port = port
        url.path = "/" + database
        var items = [URLQueryItem(name: "sslmode", value: sslmode.rawValue)]
        if let rootCertificate { items.append(URLQueryItem(name: "sslrootcert", value: rootCertificate)) }
        if let schema { items.append(URLQueryItem(name: "schema", value: schema)) }
        items.append(URLQueryItem(name: "pool", value: String(pool)))
        url.queryItems = items
        return url.string ?? "postgres://\(host)"
    }

    /// The pool's configuration, the TLS trust read from `sslrootcert`.
    public func configuration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslmode {
        case .disable:
            tls = .disable
        case .require:
            var c = TLSConfiguration.makeClientConfiguration()
            c.certificateVerification = .none
            tls = .require(c)
        case .verifyFull:
            var c = TLSConfiguration.makeClientConfiguration()
            c.certificateVerification = .fullVerification
            if let rootCertificate {
                do {
                    c.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificate))
                } catch {
                    throw PostgresStoreError("--store: sslrootcert \(rootCertificate) is not a readable PEM certificate")
                }
            }
            tls = .require(c)
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: password,
                                                         database: database, tls: tls)
        configuration.options.maximumConnections = pool
        configuration.options.additionalStartupParameters = [("application_name", "onramp")]
        return configuration
    }
}
