import OnrampCore

/// Where a run's results and error reports go: records appended in order, then closed. The file
/// writer is one implementation; an object store is another. The engine names none of them.
public protocol RecordSink: Sendable {
    func write(_ values: [Value]) async throws
    /// Writes a lazy table without building its records; false (nothing written) when it cannot.
    func write(table: TableBatch) async throws -> Bool
    /// Closes the sink; `creating` makes an empty output when nothing was written.
    func close(creating: Bool) async throws
}

/// What a sink is asked to write: where (a path in the run's output area), how, and within what budget.
public struct SinkRequest: Sendable {
    public enum Format: String, Sendable { case ndjson, csv }
    public var path: String
    public var format: Format
    /// Add to what is there (a resumed run) instead of replacing it.
    public var append: Bool
    public var budget: OutputBudget?

    public init(path: String, format: Format, append: Bool = false, budget: OutputBudget? = nil) {
        self.path = path
        self.format = format
        self.append = append
        self.budget = budget
    }
}

/// Makes the sinks of a run; the composition root registers one (the file family's by default).
public struct SinkFactory: Sendable {
    public var make: @Sendable (SinkRequest) -> any RecordSink

    public init(make: @escaping @Sendable (SinkRequest) -> any RecordSink) { self.make = make }
}
