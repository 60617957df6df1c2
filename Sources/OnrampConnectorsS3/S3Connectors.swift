import OnrampConnectorKit

/// The S3-family connectors, for the composition root to register.
public enum S3Connectors {
    public static func register(into registry: inout ConnectorRegistry) {
        registry.register(S3Source.spec)
        registry.register(S3Destination.spec)
    }
}
