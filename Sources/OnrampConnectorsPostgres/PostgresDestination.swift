import Foundation
import OnrampConnectorKit
import OnrampCore
import PostgresNIO

/// `postgres` destination: inserts (or upserts on a key) each batch in one transaction. The batch goes
/// as multi-row statements first; when the database refuses one, the batch is retried row by row under
/// savepoints, so each refused row is a load error with the database's message and the others are written.
struct PostgresDestination: Destination {
    enum Mode: String, Decodable, Sendable { case insert, upsert }

    struct Config: Decodable, Sendable {
        var endpoint: PostgresEndpoint
        var table: String
        var mode: Mode
        var key: [String]?
        var columns: [String: String]?

        enum CodingKeys: String, CodingKey { case table, mode, key, columns }

        init(from decoder: any Decoder) throws {
            endpoint = try PostgresEndpoint(from: decoder)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            table = try c.decode(String.self, forKey: .table)
            mode = try c.decode(Mode.self, forKey: .mode)
            key = try c.decodeIfPresent([String].self, forKey: .key)
            columns = try c.decodeIfPresent([String: String].self, forKey: .columns)
        }
    }

    let endpoint: PostgresEndpoint
    let table: SQLName
    let mode: Mode
    let key: [String]
    /// Record field -> column, in the order the config gives them (nil: every field of the record).
    let columns: [(field: String, column: String)]?
    let session: PostgresWriteSession

    func write(_ records: [Record]) async throws -> [RecordOutcome] {
        try await session.write(records, into: self)
    }

    func check() async throws -> ConnectorCheck {
        let resources = await session.resources
        return try await endpoint.withConnection(resources, prefix: "destination.config", table: "table") { connection in
            let types = try await PostgresWriteSession.columnTypes(of: table, on: connection, logger: resources.logger)
            try validate(types)
            return ConnectorCheck(message: "connected to \(endpoint.address)/\(endpoint.database) as \(endpoint.user); "
                                  + "\(table) has \(types.count) columns")
        }
    }

    func close() async throws {
        await session.close()
    }

    /// The key and mapped columns exist in the table.
    func validate(_ types: [String: String]) throws {
        for k in key where types[k] == nil {
            throw OnrampError("postgres.column", "\(table) has no column \(k)", at: "destination.config.key")
        }
        for (field, column) in columns ?? [] where types[column] == nil {
            throw OnrampError("postgres.column", "\(table) has no column \(column)",
                              at: "destination.config.columns.\(field)")
        }
    }

    /// The (column, value) pairs a record writes, or why it cannot be written.
    func cells(_ record: Record, types: [String: String]) -> Result<[(String, Value)], RowRefusal> {
        guard case .object(let object) = record.value else {
            return .failure(RowRefusal(code: "postgres.not_object", message: "the record is \(record.value.typeName), "
                                       + "not an object with a field per column"))
        }
        if let columns {
            return .success(columns.compactMap { m in object[m.field].map { (m.column, $0) } })
        }
        var out: [(String, Value)] = []
        for (field, value) in object {
            guard types[field] != nil else {
                return .failure(RowRefusal(code: "postgres.42703",
                                           message: "column \"\(field)\" of relation \"\(table)\" does not exist"))
            }
            out.append((field, value))
        }
        return .success(out)
    }

    /// One INSERT (ON CONFLICT for upserts) for rows of cells; a column a row lacks takes its DEFAULT.
    func statement(_ rows: [[(String, Value)]], types: [String: String]) -> PostgresQuery {
        var names: [String] = []
        var seen = Set<String>()
        for row in rows { for (c, _) in row where seen.insert(c).inserted { names.append(c) } }
        // Rows with no values at all still insert one row each: every column its DEFAULT.
        if names.isEmpty, let any = types.keys.min() { names = [any] }
        var binds = PostgresBindings(capacity: rows.count * names.count)
        var tuples: [String] = []
        tuples.reserveCapacity(rows.count)
        for row in rows {
            var byName: [String: Value] = [:]
            for (c, v) in row { byName[c] = v }
            let cells = names.map { name -> String in
                guard let value = byName[name] else { return "DEFAULT" }
                if let text = Self.text(value, arrayColumn: types[name]?.hasPrefix("_") ?? false) {
                    binds.append(UntypedText(text: text))
                } else {
                    binds.appendNull()
                }
                return "$\(binds.count)"
            }
            tuples.append("(" + cells.joined(separator: ", ") + ")")
        }
        let list = names.map(SQLName.quote).joined(separator: ", ")
        var sql = "INSERT INTO \(table.sql) (\(list)) VALUES " + tuples.joined(separator: ", ")
        if mode == .upsert {
            let updates = names.filter { !key.contains($0) }.map(SQLName.quote).map { "\($0) = EXCLUDED.\($0)" }
            sql += " ON CONFLICT (\(key.map(SQLName.quote).joined(separator: ", "))) "
                + (updates.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + updates.joined(separator: ", "))
        }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// A value as the text PostgreSQL parses for its column (nil: NULL). Arrays into array columns become
    /// array literals; other arrays and objects their JSON (for json/jsonb columns).
    static func text(_ value: Value, arrayColumn: Bool) -> String? {
        switch value {
        case .null: return nil
        case .array(let items) where arrayColumn: return arrayLiteral(items)
        case .array, .object: return JSONWriter.string(value)
        default: return value.scalarText
        }
    }

    static func arrayLiteral(_ items: [Value]) -> String {
        let parts = items.map { item -> String in
            switch item {
            case .null: return "NULL"
            case .array(let inner): return arrayLiteral(inner)
            default:
                let text = item.scalarText ?? JSONWriter.string(item)
                let escaped = text.replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "\"", with: "\\\"")
                return "\"" + escaped + "\""
            }
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}

/// Why one row was not written: a stable code and the database's message.
struct RowRefusal: Error, Sendable {
    var code: String
    var message: String
}
