import Foundation
import OnrampConnectorKit
import OnrampCore

/// The `postgres` source's config: the connection, then a table or a query.
struct PostgresSourceConfig: Decodable, Sendable {
    var endpoint: PostgresEndpoint
    var table: String?
    var query: String?
    var timeZone: String

    enum CodingKeys: String, CodingKey { case table, query, timeZone }

    init(from decoder: any Decoder) throws {
        endpoint = try PostgresEndpoint(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        table = try c.decodeIfPresent(String.self, forKey: .table)
        query = try c.decodeIfPresent(String.self, forKey: .query)
        timeZone = try c.decode(String.self, forKey: .timeZone)
    }
}

extension PostgresSource {
    static func build(_ config: PostgresSourceConfig, incremental: Value?,
                      resources: ConnectorResources) throws -> PostgresSource {
        let relation: Relation
        switch (config.table, config.query) {
        case (let table?, nil): relation = .table(try SQLName(parsing: table, field: "source.config.table"))
        case (nil, let query?): relation = .query(query)
        default:
            throw OnrampError("config.invalid", "give either table or query (not both)", at: "source.config.table")
        }
        guard let zone = TimeZone(identifier: config.timeZone) else {
            throw OnrampError("config.invalid", "unknown time zone '\(config.timeZone)' (e.g. UTC, Europe/Berlin)",
                              at: "source.config.time_zone")
        }
        var inc: Incremental?
        if let incremental {
            let i = try ConnectorConfig.decode(Incremental.self, from: incremental, at: "source.incremental")
            guard !i.cursor.isEmpty else {
                throw OnrampError("config.invalid", "name at least one cursor column", at: "source.incremental.cursor")
            }
            guard !i.key.isEmpty else {
                throw OnrampError("config.invalid", "name the key columns that make the cursor unique (e.g. [id])",
                                  at: "source.incremental.key")
            }
            guard Set(i.columns).count == i.columns.count else {
                throw OnrampError("config.invalid", "a column may be named once in cursor and key together",
                                  at: "source.incremental.key")
            }
            inc = i
        }
        return PostgresSource(endpoint: config.endpoint, relation: relation, incremental: inc,
                              types: PostgresTypes(timeZone: zone), resources: resources)
    }

    static var configSchema: Value {
        var properties = PostgresEndpoint.schemaProperties
        properties["table"] = ["type": "string", "minLength": 1, "title": "Table or view",
                               "description": "A table or view, schema-qualified or on the search path (or query)",
                               "examples": ["public.orders", "orders"]]
        properties["query"] = ["type": "string", "minLength": 1, "title": "Query",
                               "description": .string("A custom SELECT (or table); incremental reads wrap it and "
                                   + "compare the cursor with bind parameters"),
                               "examples": ["SELECT o.id, o.updated_at, l.amount FROM orders o JOIN lines l USING (order_id)"]]
        properties["time_zone"] = ["type": "string", "minLength": 1, "default": "UTC", "title": "Time zone",
                                   "description": "The zone timestamptz values are written in, with their offset",
                                   "examples": ["UTC", "Europe/Berlin"]]
        return ["type": "object", "additionalProperties": false, "required": ["host", "database", "user"],
                "properties": .object(properties)]
    }

    static let incrementalSchema: Value = [
        "type": "object", "additionalProperties": false, "required": ["cursor", "key"],
        "properties": [
            "cursor": ["type": "array", "items": ["type": "string", "minLength": 1], "title": "Cursor columns",
                       "description": "Columns that grow when a row changes, in order", "examples": [["updated_at"]]],
            "key": ["type": "array", "items": ["type": "string", "minLength": 1], "title": "Key columns",
                    "description": "Columns that make (cursor, key) unique: the primary key", "examples": [["id"]]],
        ],
    ]

    static let spec = SourceSpec(
        name: "postgres",
        summary: "Reads a PostgreSQL table, view or query in one consistent snapshot; incremental by cursor columns.",
        configSchema: configSchema, incrementalSchema: incrementalSchema, config: PostgresSourceConfig.self
    ) { config, incremental, resources in
        try build(config, incremental: incremental, resources: resources)
    }
}
