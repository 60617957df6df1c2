import OnrampCore

/// One batch read from a source: good records, rows that could not be read, and the cursor to
/// commit once every record up to here has been acknowledged by the destination.
/// Tabular sources may hand rows over as lazy `tables` instead of `records`; they come after the records.
public struct SourceBatch: Sendable {
    public var records: [Record]
    public var tables: [RecordTable]
    public var errors: [RecordError]
    public var checkpoint: Value?

    public init(records: [Record] = [], tables: [RecordTable] = [], errors: [RecordError] = [], checkpoint: Value? = nil) {
        self.records = records
        self.tables = tables
        self.errors = errors
        self.checkpoint = checkpoint
    }

    /// Good records, table rows included.
    public var recordCount: Int { records.count + tables.reduce(0) { $0 + $1.rowCount } }

    /// Every good record, table rows built into records.
    public func allRecords() -> [Record] {
        records + tables.flatMap { TableBatch($0).records() }
    }
}

/// Reads a stream of batches. Pull-based: the engine asks for the next batch only when it has
/// room, which is what keeps memory flat whatever the input size.
public protocol BatchReader: Sendable {
    /// The next batch, or nil at the end of input.
    mutating func next() async throws -> SourceBatch?
}

/// A source connector instance. `checkpoint` is the last committed cursor (nil: full load).
public protocol Source: Sendable {
    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader
}

/// The outcome a destination gives for one record: its answer, or why it was refused.
public enum RecordOutcome: Sendable {
    case ok(result: Value?)
    case failed(code: String, message: String)
}

/// A destination connector instance: acknowledges every batch with one outcome per record.
public protocol Destination: Sendable {
    func write(_ records: [Record]) async throws -> [RecordOutcome]
    /// Writes a lazy table whole, every row accepted with no answer; false (nothing written) when
    /// this destination needs the rows as records.
    func write(table: TableBatch) async throws -> Bool
    func close() async throws
    /// The file this destination writes, for the run summary (nil: it writes no local file).
    var outputPath: String? { get }
}

extension Destination {
    public func write(table: TableBatch) async throws -> Bool { false }
    public func close() async throws {}
    public var outputPath: String? { nil }
}
