import OnrampConnectorKit
import OnrampCore

/// The SQLite-family connectors, for the composition root to register.
public enum SQLiteConnectors {
    public static func register(into registry: inout ConnectorRegistry) {
        registry.register(spec)
    }

    static let spec = SourceSpec(
        name: "sqlite",
        summary: "Reads a table, view or query of a SQLite database file, page by page in key order; incremental by cursor columns.",
        configSchema: SQLiteSourceConfig.schema, incrementalSchema: SQLiteSourceConfig.incrementalSchema
    ) { config, incremental, resources in
        let typed = try ConnectorConfig.decode(SQLiteSourceConfig.self, from: config, at: "source.config")
        let inc = try incremental.map { try ConnectorConfig.decode(SQLiteSourceConfig.Incremental.self, from: $0, at: "source.incremental") }
        if let inc, inc.cursor.isEmpty || inc.key.isEmpty {
            throw OnrampError("config.missing", "incremental reads need cursor and key columns", at: "source.incremental")
        }
        let path = try resources.resolve(typed.path, field: "source.config.path")
        let name = resources.files.isConfined ? typed.path : path
        return SQLiteSource(path: path, displayName: name, config: typed, incremental: inc)
    }
}
