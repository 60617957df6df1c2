import OnrampCore

extension ConnectorRegistry {
    public enum Side: String, Sendable, Codable { case source, destination }

    /// The side a connector name is registered on (a source first), or nil when unknown.
    public func side(of connector: String) -> Side? {
        if sources[connector] != nil { return .source }
        if destinations[connector] != nil { return .destination }
        return nil
    }

    /// Builds the connector from its config and tests that it can be reached; a failure is the thrown error.
    public func check(_ ref: PipelineSpec.ConnectorRef, side: Side, resources: ConnectorResources) async throws
        -> ConnectorCheck {
        switch side {
        case .source: return try await makeSource(ref, resources: resources).check()
        case .destination: return try await makeDestination(ref, resources: resources).check()
        }
    }

    /// The streams a source offers.
    public func discover(_ ref: PipelineSpec.ConnectorRef, resources: ConnectorResources) async throws -> [DiscoveredStream] {
        try await makeSource(ref, resources: resources).discover()
    }
}
