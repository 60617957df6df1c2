import OnrampConnectorKit
import OnrampCore

extension PostgresDestination {
    static var configSchema: Value {
        var properties = PostgresEndpoint.schemaProperties
        properties["table"] = ["type": "string", "minLength": 1, "title": "Table",
                               "description": "The table to write, schema-qualified or on the search path",
                               "examples": ["public.tax_results"]]
        properties["mode"] = ["type": "string", "enum": ["insert", "upsert"], "default": "insert", "title": "Mode",
                              "description": "insert: every record a new row; upsert: the row with the same key updated",
                              "examples": ["upsert"]]
        properties["key"] = ["type": "array", "items": ["type": "string", "minLength": 1], "title": "Key columns",
                             "description": "The columns of a unique constraint the upsert matches on",
                             "examples": [["transaction_id"]]]
        properties["columns"] = ["type": "object", "title": "Columns",
                                 "description": .string("Record field -> column; without it every field goes to the column of "
                                     + "its name"),
                                 "examples": [["transactionId": "transaction_id", "totalTax": "total_tax"]]]
        return ["type": "object", "additionalProperties": false, "required": ["host", "database", "user", "table"],
                "properties": .object(properties)]
    }

    static let spec = DestinationSpec(
        name: "postgres",
        summary: "Inserts or upserts records into a PostgreSQL table, a transaction per batch; refused rows are errors.",
        configSchema: configSchema, config: Config.self
    ) { config, resources in
        let key = config.key ?? []
        if config.mode == .upsert, key.isEmpty {
            throw OnrampError("config.invalid", "upsert needs the key columns it matches on",
                              at: "destination.config.key")
        }
        let mapping = config.columns.map { $0.sorted { $0.key < $1.key }.map { (field: $0.key, column: $0.value) } }
        return PostgresDestination(
            endpoint: config.endpoint, table: try SQLName(parsing: config.table, field: "destination.config.table"),
            mode: config.mode, key: key, columns: mapping, session: PostgresWriteSession(resources: resources))
    }
}
