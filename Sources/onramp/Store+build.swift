import ArgumentParser
import Foundation
import Logging
import OnrampStore
import OnrampStorePostgres
import OnrampStoreSQLite

/// Where the control plane keeps its state: the embedded SQLite file in the data directory, or a PostgreSQL that
/// several processes (servers and workers on any machine) share.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The store: sqlite (the data directory's onramp.sqlite) or postgres://USER@HOST:PORT/DB?sslmode=verify-full&"
            + "sslrootcert=CA.pem (password in PGPASSWORD; also schema=, pool=).", valueName: "sqlite|URL"))
    var store: String = ProcessInfo.processInfo.environment["ONRAMP_STORE"] ?? "sqlite"

    var isShared: Bool { PostgresStoreLocation.isPostgres(store) }
}

/// A store opened for one process: what to hand the services, and how a run's child process opens the same one.
struct OpenedStore {
    let store: any OnrampStore
    /// Set on a store several processes share: change announcements and leader election.
    let shared: (any SharedStore)?
    /// The arguments and environment an `exec-run` child needs to open this store.
    let childArguments: [String]
    let childEnvironment: [String: String]
    /// Stops what the store runs (PostgreSQL's connection pool) once the process is done with it.
    let close: @Sendable () -> Void

    /// Opens (and, with `migrate`, migrates) the store `option` names, for a process using `data`.
    static func open(_ option: String, data: String, migrate: Bool, childPool: Int = 2,
                     logger: Logger) async throws -> OpenedStore {
        guard PostgresStoreLocation.isPostgres(option) else {
            guard option == "sqlite" else {
                throw ValidationError("--store is sqlite or a postgres:// URL, not \(option.prefix(40))")
            }
            return OpenedStore(store: try SQLiteStore(path: "\(data)/onramp.sqlite"), shared: nil,
                               childArguments: ["--data", data], childEnvironment: [:], close: {})
        }
        let location: PostgresStoreLocation
        do { location = try PostgresStoreLocation(option) } catch { throw ValidationError("\(error)") }
        let store = try PostgresStore(configuration: try location.configuration(), schema: location.schema, logger: logger)
        let pool = Task { await store.run() }
        if migrate {
            do { try await store.migrate() } catch {
                pool.cancel()
                throw ValidationError("the store at \(location.redacted) cannot be used: \(error)")
            }
        }
        var child = location
        child.pool = childPool
        var environment = ["ONRAMP_STORE": child.redacted]
        if let password = location.password { environment["PGPASSWORD"] = password }
        if migrate { logger.info("store opened", metadata: ["url": "\(location.redacted)"]) }
        return OpenedStore(store: store, shared: store, childArguments: ["--data", data], childEnvironment: environment,
                           close: { pool.cancel() })
    }
}
