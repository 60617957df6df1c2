import OnrampConnectorKit
import OnrampCore

/// The `sqlite` source's config: a database file in the file area, and a table/view or a query.
struct SQLiteSourceConfig: Decodable, Sendable {
    var path: String
    var table: String?
    var query: String?
    /// Columns that identify a row and order a full read (default: the table's primary key, else its rowid).
    var key: [String]?

    struct Incremental: Decodable, Sendable {
        var cursor: [String]
        var key: [String]
    }

    static let schema: Value = [
        "type": "object", "additionalProperties": false, "required": ["path"],
        "properties": [
            "path": ["type": "string", "minLength": 1, "title": "Database file",
                     "description": "The SQLite file, relative to the pipeline file (CLI) or the tenant's file area (server)",
                     "examples": ["erp.sqlite"]],
            "table": ["type": "string", "minLength": 1, "title": "Table or view", "examples": ["orders"]],
            "query": ["type": "string", "minLength": 1, "title": "Custom query",
                      "description": "A SELECT; incremental reads wrap it and bind the cursor as parameters",
                      "examples": ["SELECT o.*, c.country FROM orders o JOIN customers c ON c.id = o.customer_id"]],
            "key": ["type": "array", "items": ["type": "string"], "title": "Key columns",
                    "description": "Columns that identify a row; they order a full read page by page"],
        ],
    ]

    static let incrementalSchema: Value = [
        "type": "object", "additionalProperties": false, "required": ["cursor", "key"],
        "properties": [
            "cursor": ["type": "array", "items": ["type": "string"], "title": "Cursor columns",
                       "description": "Columns that grow when a row is added or changed", "examples": [["updated_at"]]],
            "key": ["type": "array", "items": ["type": "string"], "title": "Key columns",
                    "description": "Columns that break ties between rows sharing a cursor value", "examples": [["id"]]],
        ],
    ]
}
