import Foundation
import Logging
import OnrampStore
import OnrampStorePostgres
import PostgresNIO

/// Stores on the PostgreSQL that scripts/postgres-test.sh starts (`ONRAMP_TEST_POSTGRES`), each in a fresh schema so
/// tests never see each other's rows. The pools run until the test process ends.
enum PostgresTestStore {
    static let url: URLComponents? = ProcessInfo.processInfo.environment["ONRAMP_TEST_POSTGRES"]
        .flatMap(URLComponents.init(string:))
    static var available: Bool { url != nil }
    /// Under CI the postgres backend must run: a missing server is a failure, not a skip.
    static var required: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "the postgres store tests need ONRAMP_TEST_POSTGRES (source scripts/postgres-test.sh); CI=true requires them"
        }
    }

    /// A new schema name.
    static func freshSchema() -> String { "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased() }

    /// A migrated store (its pool running) in `schema`.
    static func make(schema: String = freshSchema()) async throws -> PostgresStore {
        guard let url else { throw Missing() }
        var configuration = PostgresClient.Configuration(
            host: url.host ?? "127.0.0.1", port: url.port ?? 5432, username: url.user ?? "postgres", password: url.password,
            database: String(url.path.dropFirst()), tls: .disable)
        configuration.options.maximumConnections = 8
        let store = try PostgresStore(configuration: configuration, schema: schema, logger: Logger(label: "store-test"))
        Task { await store.run() }
        try await store.migrate()
        return store
    }
}
