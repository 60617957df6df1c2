import Logging
import OnrampCore

/// What a connector needs from its host, and what its run may reach: a logger, a clock, the file area its paths
/// resolve in, the network it may connect to and the host's HTTP client for it. A connector reaches files and
/// hosts only through these.
public struct ConnectorResources: Sendable {
    public var logger: Logger
    public var files: FileArea
    public var egress: EgressPolicy
    /// A resumed attempt of a run: file outputs add to what earlier attempts wrote instead of replacing it.
    public var appendToOutputs = false
    /// The bytes the run's file outputs may take (nil: no limit).
    public var outputBudget: OutputBudget?
    /// The bytes the run's file destinations may add to the tenant's file area (nil: no quota).
    public var areaBudget: OutputBudget?
    /// Put before every idempotency key a destination sends (a dry run against the configured TAXMAN sends
    /// `dryrun-…` keys, so its calculations are never taken for the real ones).
    public var idempotencyPrefix = ""
    /// The batches pushed to the pipeline that this run reads (`push` sources), unsealed into the run's own folder;
    /// nil where nothing is pushed (the CLI, previews).
    public var pushed: [PushedBatch]?
    /// The wall clock and waits between retries; tests replace it to run backoff without waiting.
    public var clock = ConnectorClock.system
    /// Where `http()` comes from: the registry that builds the connector fills it in with the host's.
    public var httpProvider: (any ConnectorHTTPProvider)?

    public init(logger: Logger = Logger(label: "onramp.connector"), files: FileArea = .local("."),
                egress: EgressPolicy = .unrestricted) {
        self.logger = logger
        self.files = files
        self.egress = egress
    }

    /// Resolves a config's path in the run's file area (`field` names it in errors).
    public func resolve(_ path: String, field: String, forWriting: Bool = false) throws -> String {
        try files.resolve(path, field: field, forWriting: forWriting)
    }

    /// The host's HTTP client under this run's egress policy (shared by every connector of the process).
    public func http() throws -> any ConnectorHTTPClient {
        guard let httpProvider else {
            throw OnrampError("connector.no_http", "this host gives connectors no HTTP client")
        }
        return try httpProvider.client(for: egress)
    }
}


/// One batch pushed to a pipeline, as a run reads it: its id (named in error positions), its sequence (the
/// checkpoint after it) and the file holding its bytes as received (`.gz` at the end when gzipped).
public struct PushedBatch: Codable, Sendable, Equatable {
    /// The source connector that reads pushed batches.
    public static let connector = "push"
    public var id: String
    public var sequence: Int64
    public var path: String
    /// Why the batch could not be made readable (its object is gone, its key left the ring): the run reports it as
    /// an error of the batch and goes on past it.
    public var failure: String?

    public init(id: String, sequence: Int64, path: String, failure: String? = nil) {
        self.id = id
        self.sequence = sequence
        self.path = path
        self.failure = failure
    }

    /// The sequence a push source's checkpoint says was read through (0: none).
    public static func sequence(in checkpoint: Value?) -> Int64 { Int64(checkpoint?["batch"]?.numberValue ?? 0) }

    public static func checkpoint(after sequence: Int64) -> Value { .object(["batch": .number(Double(sequence))]) }
}

/// A connector: a name, a declared config spec (JSON Schema: drives validation, docs and UI forms)
/// and a constructor.
public struct SourceSpec: Sendable {
    public var name: String
    public var summary: String
    public var configSchema: Value
    public var incrementalSchema: Value?
    /// Reads incrementally with no `incremental` in the pipeline (a push source: each batch once).
    public var alwaysIncremental = false
    public var build: @Sendable (_ config: Value, _ incremental: Value?, _ resources: ConnectorResources) throws -> any Source

    public init(name: String, summary: String, configSchema: Value, incrementalSchema: Value? = nil,
                build: @escaping @Sendable (Value, Value?, ConnectorResources) throws -> any Source) {
        self.name = name
        self.summary = summary
        self.configSchema = configSchema
        self.incrementalSchema = incrementalSchema
        self.build = build
    }

    /// A source whose config decodes into `C` (after schema validation and defaults).
    public init<C: Decodable>(name: String, summary: String, configSchema: Value, incrementalSchema: Value? = nil,
                              config: C.Type,
                              build: @escaping @Sendable (C, Value?, ConnectorResources) throws -> any Source) {
        self.init(name: name, summary: summary, configSchema: configSchema, incrementalSchema: incrementalSchema) {
            config, incremental, resources in
            try build(try ConnectorConfig.decode(C.self, from: config, at: "source.config"), incremental, resources)
        }
    }
}

public struct DestinationSpec: Sendable {
    public var name: String
    public var summary: String
    public var configSchema: Value
    public var build: @Sendable (_ config: Value, _ resources: ConnectorResources) throws -> any Destination
    /// Whether a dry run may send to it: it marks what it sends as a test (`ConnectorResources.idempotencyPrefix`).
    public var takesDryRuns = false

    public init(name: String, summary: String, configSchema: Value,
                build: @escaping @Sendable (Value, ConnectorResources) throws -> any Destination) {
        self.name = name
        self.summary = summary
        self.configSchema = configSchema
        self.build = build
    }

    /// A destination whose config decodes into `C` (after schema validation and defaults).
    public init<C: Decodable>(name: String, summary: String, configSchema: Value, config: C.Type,
                              build: @escaping @Sendable (C, ConnectorResources) throws -> any Destination) {
        self.init(name: name, summary: summary, configSchema: configSchema) { config, resources in
            try build(try ConnectorConfig.decode(C.self, from: config, at: "destination.config"), resources)
        }
    }
}

/// The explicit registry of connectors a process knows about.
public struct ConnectorRegistry: Sendable {
    public private(set) var sources: [String: SourceSpec] = [:]
    public private(set) var destinations: [String: DestinationSpec] = [:]
    /// Step types from connector packages and plugins, by the key a pipeline's step uses.
    public private(set) var transforms: [String: TransformSpec] = [:]
    /// Where runs write results and error reports (nil until a family registers one).
    public var sinks: SinkFactory?
    /// The destination a dry run sends a preview's records to (a sandbox), as the composition root chose it.
    public var dryRunDestination: PipelineSpec.ConnectorRef?
    /// The host's HTTP client, given to every connector this registry builds (`ConnectorResources.http()`).
    public var http: (any ConnectorHTTPProvider)?

    public init() {}

    /// A sink for a run's results or error report.
    public func makeSink(_ request: SinkRequest) throws -> any RecordSink {
        guard let sinks else {
            throw OnrampError("connector.no_sink", "no output sink is registered for results and error reports")
        }
        return sinks.make(request)
    }

    public mutating func register(_ spec: SourceSpec) { sources[spec.name] = spec }

    /// Whether a run of `source` keeps a checkpoint: it names an incremental mode, or its connector always does.
    public func readsIncrementally(_ source: PipelineSpec.ConnectorRef) -> Bool {
        source.incremental != nil || sources[source.connector]?.alwaysIncremental == true
    }
    public mutating func register(_ spec: DestinationSpec) { destinations[spec.name] = spec }
    public mutating func register(_ spec: TransformSpec) { transforms[spec.name] = spec }

    /// Validates a config against the connector's schema (applying defaults) and builds the source.
    public func makeSource(_ ref: PipelineSpec.ConnectorRef, resources: ConnectorResources) throws -> any Source {
        guard let spec = sources[ref.connector] else {
            throw OnrampError("connector.unknown", "unknown source connector '\(ref.connector)'; known: \(sources.keys.sorted().joined(separator: ", "))", at: "source.connector",
                              hint: Suggestion.hint(for: ref.connector, in: sources.keys.sorted()))
        }
        let config = try JSONSchema.validate(ref.config, against: spec.configSchema, at: "source.config")
        var incremental: Value?
        if let inc = ref.incremental {
            guard let schema = spec.incrementalSchema else {
                throw OnrampError("connector.incremental", "connector '\(spec.name)' has no incremental mode", at: "source.incremental")
            }
            incremental = try JSONSchema.validate(inc, against: schema, at: "source.incremental")
        }
        return try spec.build(config, incremental, hosted(resources))
    }

    public func makeDestination(_ ref: PipelineSpec.ConnectorRef, resources: ConnectorResources) throws -> any Destination {
        guard let spec = destinations[ref.connector] else {
            throw OnrampError("connector.unknown", "unknown destination connector '\(ref.connector)'; known: \(destinations.keys.sorted().joined(separator: ", "))", at: "destination.connector",
                              hint: Suggestion.hint(for: ref.connector, in: destinations.keys.sorted()))
        }
        let config = try JSONSchema.validate(ref.config, against: spec.configSchema, at: "destination.config")
        return try spec.build(config, hosted(resources))
    }

    private func hosted(_ resources: ConnectorResources) -> ConnectorResources {
        var resources = resources
        if resources.httpProvider == nil { resources.httpProvider = http }
        return resources
    }
}
