import OnrampCore

extension ConnectorRegistry {
    /// One catalog entry per connector, as the API and the CLI both show it: `kind`, `name`,
    /// `summary`, `config_schema` (and `incremental_schema` for sources). Sources first, by name; then the step
    /// types packages and plugins registered (`kind: step`).
    public var catalog: [Value] {
        sources.values.sorted { $0.name < $1.name }.map {
            ["kind": "source", "name": .string($0.name), "summary": .string($0.summary), "config_schema": $0.configSchema,
             "incremental_schema": $0.incrementalSchema ?? .null]
        } + destinations.values.sorted { $0.name < $1.name }.map {
            ["kind": "destination", "name": .string($0.name), "summary": .string($0.summary), "config_schema": $0.configSchema]
        } + transforms.values.sorted { $0.name < $1.name }.map {
            ["kind": "step", "name": .string($0.name), "summary": .string($0.summary), "config_schema": $0.configSchema]
        }
    }
}
