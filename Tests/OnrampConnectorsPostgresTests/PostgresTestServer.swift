import Foundation
import Logging
import OnrampConnectorKit
@testable import OnrampConnectorsPostgres
import OnrampCore
import PostgresNIO
import Testing

/// The PostgreSQL server scripts/test.sh starts (`ONRAMP_TEST_POSTGRES=postgres://postgres@HOST:PORT/DB`):
/// each test works in a schema of its own, dropped afterwards.
enum PostgresTestServer {
    static let url: URLComponents? = ProcessInfo.processInfo.environment["ONRAMP_TEST_POSTGRES"]
        .flatMap(URLComponents.init(string:))
    static var available: Bool { url != nil }
    /// The CA (the server's self-signed certificate) for the TLS tests.
    static let caPath = ProcessInfo.processInfo.environment["ONRAMP_TEST_POSTGRES_CA"]
    static var host: String { url?.host ?? "127.0.0.1" }
    static var port: Int { url?.port ?? 5432 }
    static var database: String { String((url?.path ?? "/postgres").dropFirst()) }
    static var user: String { url?.user ?? "postgres" }
    static let logger = Logger(label: "postgres-test")

    /// Source or destination config for the test server (`extra` adds or replaces keys).
    static func config(_ extra: Value.Object = [:]) -> Value {
        var o: Value.Object = ["host": .string(host), "port": .number(Double(port)), "database": .string(database),
                               "user": .string(user)]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    /// Runs `body` with a fresh schema name and an admin connection; drops the schema afterwards.
    static func withSchema<T: Sendable>(_ body: (String, PostgresConnection) async throws -> T) async throws -> T {
        let schema = "t_" + UUID().uuidString.prefix(8).lowercased()
        let connection = try await connect()
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: logger)
        do {
            let result = try await body(schema, connection)
            try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: logger)
            try await connection.close()
            return result
        } catch {
            _ = try? await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: logger)
            try? await connection.close()
            throw error
        }
    }

    static func connect(user: String? = nil) async throws -> PostgresConnection {
        let configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user ?? self.user, password: nil, database: database, tls: .disable)
        return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
    }

    static func registry() -> ConnectorRegistry {
        var r = ConnectorRegistry()
        PostgresConnectors.register(into: &r)
        return r
    }

    static func source(_ config: Value, incremental: Value? = nil) throws -> any Source {
        try registry().makeSource(PipelineSpec.ConnectorRef(connector: "postgres", config: config, incremental: incremental),
                                  resources: ConnectorResources())
    }

    static func destination(_ config: Value) throws -> any Destination {
        try registry().makeDestination(PipelineSpec.ConnectorRef(connector: "postgres", config: config, incremental: nil),
                                       resources: ConnectorResources())
    }

    /// Every batch of a read from `checkpoint` to the end.
    static func readAll(_ source: any Source, checkpoint: Value? = nil, batchSize: Int) async throws -> [SourceBatch] {
        var reader = try await source.open(checkpoint: checkpoint, batchSize: batchSize)
        var batches: [SourceBatch] = []
        do {
            while let batch = try await reader.next() { batches.append(batch) }
        } catch {
            await reader.close()
            throw error
        }
        await reader.close()
        return batches
    }

    /// The rows of a query as their first column's text.
    static func strings(_ connection: PostgresConnection, _ sql: String) async throws -> [String] {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect().map {
            try $0.decode(String.self)
        }
    }

    static func exec(_ connection: PostgresConnection, _ sql: String) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }
}
