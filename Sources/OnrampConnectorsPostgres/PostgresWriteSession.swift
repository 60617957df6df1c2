import Logging
import OnrampConnectorKit
import OnrampCore
import PostgresNIO

/// The destination's connection, opened at the first batch and kept until `close`, and the table's
/// column types (udt names; arrays start with `_`).
actor PostgresWriteSession {
    let resources: ConnectorResources
    private var connection: PostgresConnection?
    private var types: [String: String] = [:]
    /// Binds one statement may carry (the protocol allows 65,535).
    static let maxBinds = 30_000

    init(resources: ConnectorResources) { self.resources = resources }

    var logger: Logger { resources.logger }

    func write(_ records: [Record], into destination: PostgresDestination) async throws -> [RecordOutcome] {
        let connection = try await open(destination)
        var outcomes = [RecordOutcome?](repeating: nil, count: records.count)
        var rows: [Row] = []
        for (i, record) in records.enumerated() {
            switch destination.cells(record, types: types) {
            case .success(let cells): rows.append((i, cells))
            case .failure(let refusal): outcomes[i] = .failed(code: refusal.code, message: refusal.message)
            }
        }
        do {
            try await connection.query("BEGIN", logger: logger)
            try await connection.query("SAVEPOINT onramp_batch", logger: logger)
            do {
                for chunk in chunks(rows) {
                    try await connection.query(destination.statement(chunk.map(\.cells), types: types), logger: logger)
                }
                for row in rows { outcomes[row.index] = .ok(result: nil) }
            } catch let error as PSQLError where error.serverInfo != nil {
                try await connection.query("ROLLBACK TO SAVEPOINT onramp_batch", logger: logger)
                for row in rows {
                    outcomes[row.index] = try await writeOne(row.cells, destination, connection)
                }
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            try? await connection.close()
            self.connection = nil
            throw destination.endpoint.describe(error, prefix: "destination.config", table: "table")
        }
        return outcomes.map { $0 ?? .failed(code: "postgres.internal", message: "no outcome") }
    }

    /// One row under its own savepoint: written, or refused with the database's message.
    private func writeOne(_ cells: [(String, Value)], _ destination: PostgresDestination,
                          _ connection: PostgresConnection) async throws -> RecordOutcome {
        try await connection.query("SAVEPOINT onramp_row", logger: logger)
        do {
            try await connection.query(destination.statement([cells], types: types), logger: logger)
            try await connection.query("RELEASE SAVEPOINT onramp_row", logger: logger)
            return .ok(result: nil)
        } catch let error as PSQLError where error.serverInfo != nil {
            try await connection.query("ROLLBACK TO SAVEPOINT onramp_row", logger: logger)
            let info = error.serverInfo
            var message = info?[.message] ?? "refused"
            if let detail = info?[.detail] { message += ": \(detail)" }
            return .failed(code: "postgres.\(info?[.sqlState] ?? "error")", message: message)
        }
    }

    typealias Row = (index: Int, cells: [(String, Value)])

    private func chunks(_ rows: [Row]) -> [ArraySlice<Row>] {
        let width = max(1, types.count)
        let size = max(1, Self.maxBinds / width)
        return stride(from: 0, to: rows.count, by: size).map { rows[$0..<min($0 + size, rows.count)] }
    }

    private func open(_ destination: PostgresDestination) async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        let connection = try await destination.endpoint.connect(resources, prefix: "destination.config")
        do {
            types = try await Self.columnTypes(of: destination.table, on: connection, logger: logger)
            try destination.validate(types)
        } catch {
            try? await connection.close()
            throw destination.endpoint.describe(error, prefix: "destination.config", table: "table")
        }
        self.connection = connection
        return connection
    }

    func close() async {
        try? await connection?.close()
        connection = nil
    }

    /// The table's columns and their type names.
    static func columnTypes(of table: SQLName, on connection: PostgresConnection,
                            logger: Logger) async throws -> [String: String] {
        var binds = PostgresBindings()
        binds.append(UntypedText(text: table.sql))
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT a.attname::text, t.typname::text FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped
            """, binds: binds), logger: logger).collect()
        var types: [String: String] = [:]
        for row in rows {
            let (name, type) = try row.decode((String, String).self)
            types[name] = type
        }
        return types
    }
}
