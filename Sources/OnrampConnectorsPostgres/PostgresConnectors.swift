import OnrampConnectorKit
import OnrampCore

/// The PostgreSQL connectors, for the composition root to register.
public enum PostgresConnectors {
    public static func register(into registry: inout ConnectorRegistry) {
        registry.register(PostgresSource.spec)
        registry.register(PostgresDestination.spec)
    }
}
