import OnrampCore

/// One batch read from a source: good records, rows that could not be read, and the cursor to
/// commit once every record up to here has been acknowledged by the destination.
/// Tabular sources may hand rows over as lazy `tables` instead of `records`; they come after the records.
public struct SourceBatch: Sendable {
    public var records: [Record]
    public var tables: [RecordTable]
    public var errors: [RecordError]
    public var checkpoint: Value?
    /// How far the read is after this batch, when the source can tell (file sizes, row counts).
    public var progress: ReadProgress?

    public init(records: [Record] = [], tables: [RecordTable] = [], errors: [RecordError] = [], checkpoint: Value? = nil,
                progress: ReadProgress? = nil) {
        self.records = records
        self.tables = tables
        self.errors = errors
        self.checkpoint = checkpoint
        self.progress = progress
    }

    /// Good records, table rows included.
    public var recordCount: Int { records.count + tables.reduce(0) { $0 + $1.rowCount } }

    /// Every good record, table rows built into records.
    public func allRecords() -> [Record] {
        records + tables.flatMap { TableBatch($0).records() }
    }
}

/// How much of a source's input a read has consumed: bytes of its files, or rows of a table whose size is known.
public struct ReadProgress: Sendable, Equatable {
    public var done: Int64
    public var total: Int64

    public init(done: Int64, total: Int64) {
        self.done = done
        self.total = total
    }

    /// 0…1; nil when the total is not known (0).
    public var fraction: Double? { total > 0 ? min(1, max(0, Double(done) / Double(total))) : nil }
}

/// Reads a stream of batches. Pull-based: the engine asks for the next batch only when it has
/// room, which is what keeps memory flat whatever the input size.
public protocol BatchReader: Sendable {
    /// The next batch, or nil at the end of input. A cancelled task ends the read within a batch
    /// (`CancellationError` or nil).
    mutating func next() async throws -> SourceBatch?
    /// Releases cursors, connections and files. The engine calls it once on every path (finished,
    /// failed, cancelled); it must not throw and must be safe after a failed `next`.
    mutating func close() async
}

extension BatchReader {
    public mutating func close() async {}
}

/// A source connector instance. `checkpoint` is the last committed cursor (nil: full load).
public protocol Source: Sendable {
    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader
    /// Tests that the source can be reached with its config; throws an `OnrampError` whose message a
    /// person can act on ("password authentication failed for user initech").
    func check() async throws -> ConnectorCheck
    /// The streams this source offers (tables, views, resources, files, sheets), with their fields.
    func discover() async throws -> [DiscoveredStream]
}

extension Source {
    public func check() async throws -> ConnectorCheck {
        var reader = try await open(checkpoint: nil, batchSize: 1)
        await reader.close()
        return ConnectorCheck(message: "the source opens")
    }

    public func discover() async throws -> [DiscoveredStream] { [] }
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
    /// Tests that the destination can be reached and accepts the config, writing nothing.
    func check() async throws -> ConnectorCheck
    /// The file this destination writes, for the run summary (nil: it writes no local file).
    var outputPath: String? { get }
    /// The money this destination sent and was answered, for the run summary (nil: it keeps none).
    var reconciliation: Reconciliation? { get }
}

extension Destination {
    public func write(table: TableBatch) async throws -> Bool { false }
    public func close() async throws {}
    public func check() async throws -> ConnectorCheck { ConnectorCheck(message: "the configuration is valid") }
    public var outputPath: String? { nil }
    public var reconciliation: Reconciliation? { nil }
}
