import OnrampConnectorKit
import OnrampCore
import PostgresNIO

extension PostgresSource {
    /// Connects, runs `SELECT 1` and describes the table or query (which must exist and parse).
    func check() async throws -> ConnectorCheck {
        try await endpoint.withConnection(resources, prefix: "source.config", table: relationField) { connection in
            _ = try await connection.query("SELECT 1", logger: logger).collect()
            let columns = try await describe(connection)
            return ConnectorCheck(message: "connected to \(endpoint.address)/\(endpoint.database) as \(endpoint.user); "
                                  + "\(streamName) has \(columns.count) columns")
        }
    }

    /// The tables and views the user can see (outside the system schemas), their columns, primary keys and
    /// a suggested cursor: the first timestamp or date column named like updated_at, modified or changed.
    func discover() async throws -> [DiscoveredStream] {
        try await endpoint.withConnection(resources, prefix: "source.config") { connection in
            let columnRows = try await connection.query("""
                SELECT c.table_schema::text, c.table_name::text, t.table_type::text, c.column_name::text,
                       c.udt_name::text, c.is_nullable::text,
                       (SELECT oid FROM pg_type WHERE typname = c.udt_name::text
                          AND typnamespace = (SELECT oid FROM pg_namespace WHERE nspname = c.udt_schema::text))::int8
                FROM information_schema.columns c
                JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
                ORDER BY 1, 2, c.ordinal_position
                """, logger: logger).collect()
            let keyRows = try await connection.query("""
                SELECT k.table_schema::text, k.table_name::text, k.column_name::text
                FROM information_schema.table_constraints c
                JOIN information_schema.key_column_usage k ON k.constraint_schema = c.constraint_schema
                  AND k.constraint_name = c.constraint_name AND k.table_name = c.table_name
                WHERE c.constraint_type = 'PRIMARY KEY'
                ORDER BY 1, 2, k.ordinal_position
                """, logger: logger).collect()
            var keys: [String: [String]] = [:]
            for row in keyRows {
                let (schema, table, column) = try row.decode((String, String, String).self)
                keys["\(schema).\(table)", default: []].append(column)
            }
            var streams: [DiscoveredStream] = []
            for row in columnRows {
                let (schema, table, kind, column, udt, nullable, oid) =
                    try row.decode((String, String, String, String, String, String, Int64?).self)
                let name = "\(schema).\(table)"
                if streams.last?.name != name {
                    streams.append(DiscoveredStream(name: name, kind: kind == "VIEW" ? .view : .table, fields: [],
                                                    primaryKey: keys[name] ?? []))
                }
                let type = PostgresTypes.jsonType(UInt32(truncatingIfNeeded: oid ?? 0))
                streams[streams.count - 1].fields.append(
                    .init(name: column, type: type, sourceType: udt, nullable: nullable == "YES"))
                if streams[streams.count - 1].cursorField.isEmpty, Self.looksLikeCursor(column, udt: udt) {
                    streams[streams.count - 1].cursorField = [column]
                }
            }
            return streams
        }
    }

    static func looksLikeCursor(_ column: String, udt: String) -> Bool {
        guard ["timestamptz", "timestamp", "date"].contains(udt) else { return false }
        let name = column.lowercased()
        return ["updat", "modif", "chang"].contains { name.contains($0) } || name == "write_date"
    }
}
