import OnrampCore

/// A transform step that a connector package or a plugin provides: a batch of records in, the records it makes and
/// the error records of those it could not handle out. `close` ends it (a process, a connection) on every path; a
/// close that fails after a run's last batch fails the run.
public protocol RecordTransform: Sendable {
    func transform(_ records: [Record]) async throws -> (records: [Record], errors: [RecordError])
    func close() async throws
}

/// A step type beside the built-in ones: a name (the step's key in a pipeline), a config schema, a constructor.
public struct TransformSpec: Sendable {
    public var name: String
    public var summary: String
    public var configSchema: Value
    public var build: @Sendable (_ config: Value, _ label: String, _ resources: ConnectorResources) throws -> any RecordTransform

    public init(name: String, summary: String, configSchema: Value,
                build: @escaping @Sendable (Value, String, ConnectorResources) throws -> any RecordTransform) {
        self.name = name
        self.summary = summary
        self.configSchema = configSchema
        self.build = build
    }
}
