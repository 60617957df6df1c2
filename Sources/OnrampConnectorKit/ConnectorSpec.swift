import Logging
import OnrampCore

/// What a connector needs from its host: a logger and the directory relative paths resolve against.
public struct ConnectorResources: Sendable {
    public var logger: Logger
    public var baseDirectory: String

    public init(logger: Logger = Logger(label: "onramp.connector"), baseDirectory: String = ".") {
        self.logger = logger
        self.baseDirectory = baseDirectory
    }

    /// Resolves a path from a config against the pipeline file's directory.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (baseDirectory.hasSuffix("/") ? baseDirectory + path : baseDirectory + "/" + path)
    }
}


/// A connector: a name, a declared config spec (JSON Schema: drives validation, docs and UI forms)
/// and a constructor.
public struct SourceSpec: Sendable {
    public var name: String
    public var summary: String
    public var configSchema: Value
    public var incrementalSchema: Value?
    public var build: @Sendable (_ config: Value, _ incremental: Value?, _ resources: ConnectorResources) throws -> any Source

    public init(name: String, summary: String, configSchema: Value, incrementalSchema: Value? = nil,
                build: @escaping @Sendable (Value, Value?, ConnectorResources) throws -> any Source) {
        self.name = name
        self.summary = summary
        self.configSchema = configSchema
        self.incrementalSchema = incrementalSchema
        self.build = build
    }
}

public struct DestinationSpec: Sendable {
    public var name: String
    public var summary: String
    public var configSchema: Value
    public var build: @Sendable (_ config: Value, _ resources: ConnectorResources) throws -> any Destination

    public init(name: String, summary: String, configSchema: Value,
                build: @escaping @Sendable (Value, ConnectorResources) throws -> any Destination) {
        self.name = name
        self.summary = summary
        self.configSchema = configSchema
        self.build = build
    }
}

/// The explicit registry of connectors a process knows about.
public struct ConnectorRegistry: Sendable {
    public private(set) var sources: [String: SourceSpec] = [:]
    public private(set) var destinations: [String: DestinationSpec] = [:]

    public init() {}

    public mutating func register(_ spec: SourceSpec) { sources[spec.name] = spec }
    public mutating func register(_ spec: DestinationSpec) { destinations[spec.name] = spec }

    /// Validates a config against the connector's schema (applying defaults) and builds the source.
    public func makeSource(_ ref: PipelineSpec.ConnectorRef, resources: ConnectorResources) throws -> any Source {
        guard let spec = sources[ref.connector] else {
            throw OnrampError("connector.unknown", "unknown source connector '\(ref.connector)'; known: \(sources.keys.sorted().joined(separator: ", "))", at: "source.connector")
        }
        let config = try JSONSchema.validate(ref.config, against: spec.configSchema, at: "source.config")
        var incremental: Value?
        if let inc = ref.incremental {
            guard let schema = spec.incrementalSchema else {
                throw OnrampError("connector.incremental", "connector '\(spec.name)' has no incremental mode", at: "source.incremental")
            }
            incremental = try JSONSchema.validate(inc, against: schema, at: "source.incremental")
        }
        return try spec.build(config, incremental, resources)
    }

    public func makeDestination(_ ref: PipelineSpec.ConnectorRef, resources: ConnectorResources) throws -> any Destination {
        guard let spec = destinations[ref.connector] else {
            throw OnrampError("connector.unknown", "unknown destination connector '\(ref.connector)'; known: \(destinations.keys.sorted().joined(separator: ", "))", at: "destination.connector")
        }
        let config = try JSONSchema.validate(ref.config, against: spec.configSchema, at: "destination.config")
        return try spec.build(config, resources)
    }
}
