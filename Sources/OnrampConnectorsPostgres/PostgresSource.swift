import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore
import PostgresNIO

/// `postgres`: reads a table, a view or a custom query in one `REPEATABLE READ READ ONLY` transaction,
/// streamed with backpressure. Incremental by (cursor..., key...) tuples: ordered by them, checkpointed
/// after every batch, resumed with a row-value comparison on bind parameters.
struct PostgresSource: Source {
    enum Relation: Sendable {
        case table(SQLName)
        case query(String)
    }

    struct Incremental: Decodable, Sendable {
        var cursor: [String]
        var key: [String]
        var columns: [String] { cursor + key }
    }

    let endpoint: PostgresEndpoint
    let relation: Relation
    let incremental: Incremental?
    let types: PostgresTypes
    let resources: ConnectorResources

    var logger: Logger { resources.logger }

    /// The statement every read wraps (on lines of its own, so a trailing `--` comment ends there):
    /// `SELECT * FROM table` or the query without its final semicolon.
    var baseSQL: String {
        switch relation {
        case .table(let name): return "SELECT * FROM \(name.sql)"
        case .query(var sql):
            sql = sql.trimmingCharacters(in: .whitespacesAndNewlines)
            while sql.hasSuffix(";") { sql = String(sql.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
            return sql
        }
    }

    /// The config field a relation error points at.
    var relationField: String {
        if case .table = relation { return "table" }
        return "query"
    }

    var streamName: String {
        if case .table(let name) = relation { return name.description }
        return "query"
    }

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        let connection = try await endpoint.connect(resources, prefix: "source.config")
        do {
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            let columns = try await describe(connection)
            let (sql, binds) = try statement(columns: columns, checkpoint: checkpoint)
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            return PostgresReader(stream: RowStream(connection: connection, rows: rows), source: self,
                                  checkpoint: checkpoint, batchSize: max(1, batchSize), columns: columns.map(\.name))
        } catch {
            try? await connection.close()
            throw endpoint.describe(error, prefix: "source.config", table: relationField)
        }
    }

    /// The result's columns (names and type OIDs), from the statement run with no rows.
    func describe(_ connection: PostgresConnection) async throws -> [PostgresColumn] {
        if case .query = relation {
            // Parsed as written first, so that a mistake is reported where the user made it.
            try await connection.query(PostgresQuery(unsafeSQL: "PREPARE onramp_describe AS \(baseSQL)"), logger: logger)
            try await connection.query("DEALLOCATE onramp_describe", logger: logger)
        }
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT * FROM (\n\(baseSQL)\n) AS q LIMIT 0"), logger: logger)
        let columns = Array(rows.columns)
        _ = try await rows.collect()
        var seen = Set<String>()
        for c in columns where !seen.insert(c.name).inserted {
            throw OnrampError("postgres.duplicate_column",
                              "the result has two columns named \(c.name): give them distinct names (AS ...)",
                              at: "source.config.\(relationField)")
        }
        if let incremental {
            for name in incremental.columns {
                guard let c = columns.first(where: { $0.name == name }) else {
                    throw OnrampError("postgres.cursor_column", "\(streamName) has no column \(name); it has "
                                      + columns.map(\.name).joined(separator: ", "), at: "source.incremental")
                }
                let type = PostgresTypes.jsonType(c.dataType.rawValue)
                guard type != "object", type != "array" else {
                    let what = type == "object" ? "json" : "an array"
                    throw OnrampError("postgres.cursor_column", "column \(name) is \(what), which cannot order a cursor",
                                      at: "source.incremental")
                }
            }
        }
        return columns
    }

    /// The read statement and its binds: types the decoder does not know selected `::text`, the cursor
    /// comparison and order when incremental.
    func statement(columns: [PostgresColumn], checkpoint: Value?) throws -> (String, PostgresBindings) {
        let list = columns.map { c -> String in
            let name = SQLName.quote(c.name)
            return PostgresTypes.decodable(c.dataType.rawValue) ? "q.\(name)" : "q.\(name)::text AS \(name)"
        }
        var sql = "SELECT \(list.joined(separator: ", ")) FROM (\n\(baseSQL)\n) AS q"
        var binds = PostgresBindings()
        guard let incremental else { return (sql, binds) }
        let tuple = incremental.columns.map { "q." + SQLName.quote($0) }.joined(separator: ", ")
        if let checkpoint {
            let values = try Self.cursorValues(checkpoint, incremental: incremental)
            for v in values { binds.append(UntypedText(text: v)) }
            let params = (1...values.count).map { "$\($0)" }.joined(separator: ", ")
            sql += " WHERE (\(tuple)) > (\(params))"
        }
        sql += " ORDER BY \(tuple)"
        return (sql, binds)
    }

    /// The checkpoint's tuple as text, in (cursor..., key...) order; a checkpoint from another cursor is refused.
    static func cursorValues(_ checkpoint: Value, incremental: Incremental) throws -> [String] {
        guard let object = checkpoint.objectValue, Array(object.keys) == incremental.columns else {
            throw OnrampError("postgres.checkpoint", "the stored checkpoint \(JSONWriter.string(checkpoint)) is not for "
                              + "cursor \(incremental.cursor) and key \(incremental.key): run with --full-resync",
                              at: "source.incremental")
        }
        return try object.map { name, value in
            guard let text = value.scalarText, !value.isNull else {
                throw OnrampError("postgres.checkpoint", "the checkpoint's \(name) is \(value.typeName)",
                                  at: "source.incremental")
            }
            return text
        }
    }
}

/// The connection and the open row stream of one read. The engine calls the reader from one task at
/// a time, which is what makes handing the iterator between calls safe.
final class RowStream: @unchecked Sendable {
    let connection: PostgresConnection
    var iterator: PostgresRowSequence.AsyncIterator?
    var closed = false

    init(connection: PostgresConnection, rows: PostgresRowSequence) {
        self.connection = connection
        self.iterator = rows.makeAsyncIterator()
    }

    func next() async throws -> PostgresRow? {
        guard var it = iterator else { return nil }
        let row = try await it.next()
        iterator = row == nil ? nil : it
        return row
    }

    func close(commit: Bool, logger: Logger) async {
        guard !closed else { return }
        closed = true
        iterator = nil
        if commit { _ = try? await connection.query("COMMIT", logger: logger) }
        try? await connection.close()
    }
}
