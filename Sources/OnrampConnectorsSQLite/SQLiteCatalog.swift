import GRDB
import OnrampConnectorKit
import OnrampCore

/// What a SQLite database holds: its tables and views with columns, primary keys and a suggested cursor.
enum SQLiteCatalog {
    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func primaryKey(_ db: Database, table: String) throws -> [String] {
        try Row.fetchAll(db, sql: "SELECT name, pk FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", arguments: [table])
            .map { $0["name"] }
    }

    static func streams(_ db: Database) throws -> [DiscoveredStream] {
        let objects = try Row.fetchAll(db, sql: """
            SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name
            """)
        return try objects.map { object in
            let name: String = object["name"]
            let columns = try Row.fetchAll(db, sql: "SELECT name, type, \"notnull\" AS nn FROM pragma_table_info(?)", arguments: [name])
            let fields = columns.map { c -> DiscoveredStream.Field in
                let declared: String = c["type"] ?? ""
                return DiscoveredStream.Field(name: c["name"], type: jsonType(declared), sourceType: declared.isEmpty ? nil : declared,
                                              nullable: (c["nn"] as Int? ?? 0) == 0)
            }
            let cursor = fields.first { cursorNames.contains($0.name.lowercased()) }.map { [$0.name] } ?? []
            return DiscoveredStream(name: name, kind: (object["type"] as String) == "view" ? .view : .table, fields: fields,
                                    primaryKey: try primaryKey(db, table: name), cursorField: cursor)
        }
    }

    static let cursorNames: Set<String> = ["updated_at", "modified_at", "modified", "last_modified", "changed_at",
                                           "write_date", "updated", "last_update", "lastmodified", "updatedat"]

    /// The JSON type of a declared column type, by SQLite's affinity rules.
    static func jsonType(_ declared: String) -> String {
        let t = declared.uppercased()
        if t.contains("INT") { return "integer" }
        if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") || t.isEmpty || t.contains("BLOB") { return "string" }
        if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") { return "number" }
        if t.contains("BOOL") { return "integer" }
        if t.contains("DATE") || t.contains("TIME") { return "string" }
        return "number"
    }
}
