import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore
import PostgresNIO

/// Where and how to connect: the config fields the `postgres` source and destination share.
struct PostgresEndpoint: Decodable, Sendable {
    enum SSLMode: String, Decodable, Sendable { case disable, require, verifyFull = "verify-full" }

    var host: String
    var port: Int
    var database: String
    var user: String
    var password: String?
    var sslmode: SSLMode
    var caFile: String?
    var caPem: String?

    /// `host:port`, as messages name the server.
    var address: String { "\(host):\(port)" }

    /// Opens one connection after the egress check (`prefix` is `source.config` or `destination.config`). Under a
    /// restricted policy it connects to the address the check resolved (no second lookup to rebind), with the
    /// host name kept for TLS verification and SNI.
    func connect(_ resources: ConnectorResources, prefix: String) async throws -> PostgresConnection {
        var target = host
        if resources.egress.restricted {
            target = try await resources.egress.pin(host: host, field: "\(prefix).host").text
        }
        var configuration = PostgresConnection.Configuration(
            host: target, port: port, username: user, password: password, database: database,
            tls: try tls(resources, prefix: prefix))
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        if target != host, IPAddress(bare) == nil { configuration.options.tlsServerName = host }
        configuration.options.additionalStartupParameters = [("application_name", "onramp")]
        do {
            return try await PostgresConnection.connect(
                configuration: configuration, id: 1, logger: resources.logger)
        } catch {
            throw describe(error, prefix: prefix)
        }
    }

    /// Runs `body` on a new connection and closes it on every path; errors come out described.
    func withConnection<T: Sendable>(_ resources: ConnectorResources, prefix: String, table: String? = nil,
                                     _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connect(resources, prefix: prefix)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw describe(error, prefix: prefix, table: table)
        }
    }

    private func tls(_ resources: ConnectorResources, prefix: String) throws -> PostgresConnection.Configuration.TLS {
        switch sslmode {
        case .disable:
            return .disable
        case .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return .require(try NIOSSLContext(configuration: tls))
        case .verifyFull:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .fullVerification
            if let pem = try caPEM(resources, prefix: prefix) {
                do {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
                } catch {
                    throw OnrampError("postgres.ca", "not a PEM certificate: \(error)",
                                      at: "\(prefix).\(caFile != nil ? "ca_file" : "ca_pem")")
                }
            }
            return .require(try NIOSSLContext(configuration: tls))
        }
    }

    private func caPEM(_ resources: ConnectorResources, prefix: String) throws -> String? {
        if let caPem { return caPem }
        guard let caFile else { return nil }
        let path = try resources.resolve(caFile, field: "\(prefix).ca_file")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OnrampError("postgres.ca", "cannot read \(caFile)", at: "\(prefix).ca_file")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// An error from PostgresNIO as a message a person can act on, naming the config field to fix.
    func describe(_ error: any Error, prefix: String, table: String? = nil) -> OnrampError {
        if let e = error as? OnrampError { return e }
        guard let e = error as? PSQLError else {
            return OnrampError("postgres.error", "\(address): \(Self.reason(error))", at: prefix)
        }
        if let info = e.serverInfo, let message = info[.message] {
            let state = info[.sqlState] ?? ""
            let field: String
            switch state {
            case "28P01", "28000": field = "password"
            case "3D000": field = "database"
            case "42P01": field = table ?? "table"
            default: field = table ?? ""
            }
            var text = message
            if let hint = info[.hint] { text += " (\(hint))" }
            return OnrampError("postgres.\(state.isEmpty ? "server" : state)", text,
                               at: field.isEmpty ? prefix : "\(prefix).\(field)")
        }
        if let tls = Self.tlsFailure(e) {
            return OnrampError("postgres.tls", "TLS with \(address) failed: \(tls)", at: "\(prefix).sslmode")
        }
        switch e.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown:
            return OnrampError("postgres.connect", "cannot connect to \(address): \(Self.reason(e.underlying ?? e))",
                               at: "\(prefix).host")
        case .sslUnsupported:
            return OnrampError("postgres.tls", "\(address) does not accept TLS connections: use sslmode disable or "
                               + "enable ssl on the server", at: "\(prefix).sslmode")
        case .failedToAddSSLHandler:
            return OnrampError("postgres.tls", "TLS with \(address) failed: \(Self.reason(e.underlying ?? e))",
                               at: "\(prefix).sslmode")
        case .authMechanismRequiresPassword:
            return OnrampError("postgres.auth", "\(address) asks a password for user \(user)", at: "\(prefix).password")
        case .unsupportedAuthMechanism:
            return OnrampError("postgres.auth", "\(address) asks for an authentication method this connector does not "
                               + "support (use scram-sha-256 or md5)", at: "\(prefix).user")
        default:
            return OnrampError("postgres.error", "\(address): \(Self.reason(e.underlying ?? e))", at: prefix)
        }
    }

    /// What went wrong in a TLS handshake, in plain words (nil: not a TLS failure).
    static func tlsFailure(_ error: any Error) -> String? {
        if let e = error as? PSQLError { return e.underlying.flatMap(tlsFailure) }
        if let connect = error as? NIOConnectionError {
            return connect.connectionErrors.lazy.compactMap { tlsFailure($0.error) }.first
        }
        guard error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError else { return nil }
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's certificate is not signed by a CA this connector trusts (give it in ca_file or ca_pem)"
        }
        if text.contains("ailedToValidateHostname") || text.contains("HostnameImpossibleToMatch") {
            return "the server's certificate is not for this host name"
        }
        return text
    }

    /// The cause in plain words: "connection refused", "timed out", a TLS failure.
    static func reason(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        if let connect = error as? NIOConnectionError {
            if connect.dnsAError != nil || connect.dnsAAAAError != nil, connect.connectionErrors.isEmpty {
                return "cannot resolve \(connect.host)"
            }
            if let first = connect.connectionErrors.first?.error { return reason(first) }
        }
        if let channel = error as? ChannelError, case .connectTimeout = channel { return "timed out" }
        if let tls = error as? NIOSSLError { return "TLS: \(tls)" }
        if let e = error as? PSQLError, let underlying = e.underlying { return reason(underlying) }
        return String(describing: error)
    }

    /// The JSON Schema properties of the connection fields.
    static let schemaProperties: Value.Object = [
        "host": ["type": "string", "minLength": 1, "title": "Host", "x-origin": "postgres://{host}:{port}",
                 "description": "The server's host name or address", "examples": ["db.example", "10.0.0.12"]],
        "port": ["type": "integer", "minimum": 1, "maximum": 65535, "default": 5432, "title": "Port",
                 "description": "The server's TCP port", "examples": [5432]],
        "database": ["type": "string", "minLength": 1, "title": "Database",
                     "description": "The database to connect to", "examples": ["erp"]],
        "user": ["type": "string", "minLength": 1, "title": "User",
                 "description": "The role to log in as", "examples": ["initech"]],
        "password": ["type": "string", "x-secret": true, "format": "password", "title": "Password",
                     "description": "Write ${secret:NAME} (server) or ${env:NAME} (CLI), never the password itself",
                     "examples": ["${secret:ERP_DB_PASSWORD}"]],
        "sslmode": ["type": "string", "enum": ["disable", "require", "verify-full"], "default": "disable",
                    "title": "TLS mode",
                    "description": .string("disable: plain TCP; require: TLS, the certificate not checked; verify-full: "
                        + "TLS, the certificate checked against ca_file/ca_pem (or the system roots) and the host name"),
                    "examples": ["verify-full"]],
        "ca_file": ["type": "string", "minLength": 1, "title": "CA file",
                    "description": .string("A PEM file in the file area: the CA that signed the server's certificate "
                        + "(verify-full)"), "examples": ["certs/erp-ca.pem"]],
        "ca_pem": ["type": "string", "minLength": 1, "title": "CA certificate",
                   "description": "The CA certificate as PEM text (verify-full), instead of ca_file",
                   "examples": ["-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----"]],
    ]
}
