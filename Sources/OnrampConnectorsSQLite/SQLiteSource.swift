import Foundation
import GRDB
import OnrampConnectorKit
import OnrampCore

/// `sqlite`: a table, a view or a query of a SQLite database file, read page by page in key order
/// (keyset pagination: flat memory, no OFFSET scans); incremental by cursor columns with the key breaking ties.
struct SQLiteSource: Source {
    let path: String
    let displayName: String
    let config: SQLiteSourceConfig
    let incremental: SQLiteSourceConfig.Incremental?

    static let field = "source.config"

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        let queue = try openDatabase()
        let relation = try await relation(queue)
        let order = try await orderColumns(queue)
        let position = try incremental == nil ? nil
            : KeysetPosition(checkpoint: checkpoint, columns: order, field: "source.incremental")
        return SQLiteReader(queue: queue, relation: relation, order: order, hidden: order == ["rowid"] ? "rowid" : nil,
                            position: position, incremental: incremental != nil, batchSize: batchSize, file: displayName)
    }

    func check() async throws -> ConnectorCheck {
        let queue = try openDatabase()
        let relation = try await relation(queue)
        let count = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0 }
        try await queue.read { db in _ = try Row.fetchOne(db, sql: "SELECT * FROM \(relation) LIMIT 0") }
        try queue.close()
        return ConnectorCheck(message: "opened \(displayName) (\(count) schema objects)")
    }

    func discover() async throws -> [DiscoveredStream] {
        let queue = try openDatabase()
        defer { try? queue.close() }
        return try await queue.read { db in try SQLiteCatalog.streams(db) }
    }

    private func openDatabase() throws -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: path) else {
            throw OnrampError("source.not_found", "no database file '\(config.path)'", at: "\(Self.field).path")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "onramp.sqlite-source"
        // An uploaded file is untrusted: its views and triggers may not call functions with side effects,
        // and a corrupt page is an error, not undefined behaviour.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA trusted_schema = OFF")
            try db.execute(sql: "PRAGMA cell_size_check = ON")
        }
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.read { db in _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
            return queue
        } catch let e as DatabaseError {
            throw OnrampError("check.unreadable", "cannot open '\(config.path)' as a SQLite database: \(e.message ?? "\(e)")",
                              at: "\(Self.field).path")
        }
    }

    /// The FROM clause: the quoted table or view, or the query as a subquery.
    private func relation(_ queue: DatabaseQueue) async throws -> String {
        if let query = config.query {
            if config.table != nil {
                throw OnrampError("config.conflict", "give either table or query, not both", at: "\(Self.field).query")
            }
            let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ";")))
            do {
                try await queue.read { db in _ = try db.makeStatement(sql: "SELECT * FROM (\(trimmed)) LIMIT 0") }
            } catch let e as DatabaseError {
                throw OnrampError("sql.invalid", "the query does not compile: \(e.message ?? "\(e)")", at: "\(Self.field).query")
            }
            return "(\(trimmed))"
        }
        guard let table = config.table else {
            throw OnrampError("config.missing", "give a table (or view) or a query", at: "\(Self.field).table")
        }
        let exists = try await queue.read { db in
            try Bool.fetchOne(db, sql: "SELECT count(*) > 0 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?",
                              arguments: [table]) ?? false
        }
        guard exists else { throw OnrampError("source.not_found", "no table or view '\(table)' in \(displayName)", at: "\(Self.field).table") }
        return SQLiteCatalog.quote(table)
    }

    /// The columns rows are read in order of: cursor then key (incremental), the key, a table's rowid
    /// (never NULL, always unique), or the primary key of a table without one; every one checked to exist.
    private func orderColumns(_ queue: DatabaseQueue) async throws -> [String] {
        if let incremental { return incremental.cursor + incremental.key }
        if let key = config.key, !key.isEmpty { return key }
        guard let table = config.table else {
            throw OnrampError("config.missing", "a query needs key columns to be read page by page", at: "\(Self.field).key")
        }
        let (pk, isView, withoutRowid) = try await queue.read { db in
            (try SQLiteCatalog.primaryKey(db, table: table),
             try Bool.fetchOne(db, sql: "SELECT type = 'view' FROM sqlite_master WHERE name = ?", arguments: [table]) ?? false,
             try Bool.fetchOne(db, sql: "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name = ?",
                               arguments: [table]) ?? false)
        }
        if isView { throw OnrampError("config.missing", "a view needs key columns to be read page by page", at: "\(Self.field).key") }
        return withoutRowid ? pk : ["rowid"]
    }
}
