import OnrampConnectorKit
import OnrampCore

/// A failed record handed back to a pipeline for a replay: its value (JSON text), where it first came from, and
/// the stage it failed at (extract and transform records re-enter before the first step, load ones at the destination;
/// with `step`, a record re-enters at that step: a transform record that failed after a step that merges records,
/// or a load record a route's second destination refused).
public struct ReplayRecord: Codable, Sendable, Equatable {
    public var stage: Stage
    public var value: String
    public var file: String?
    public var line: Int?
    public var key: String?
    public var step: Int?

    public init(stage: Stage, value: String, position: SourcePosition, step: Int? = nil) {
        self.stage = stage
        self.value = value
        self.step = step
        file = position.file
        line = position.line
        key = position.key
    }

    public var position: SourcePosition { SourcePosition(file: file, line: line, key: key) }

    func record() throws -> Record { Record(try JSONParser.parse(value), position: position) }
}

/// The source of a replay: the given records in order, with their original positions, in batches; no checkpoint.
struct ReplaySource: Source {
    let records: [Record]

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        Reader(records: records[...], batchSize: max(batchSize, 1))
    }

    struct Reader: BatchReader {
        var records: ArraySlice<Record>
        let batchSize: Int

        mutating func next() async throws -> SourceBatch? {
            guard !records.isEmpty else { return nil }
            let batch = Array(records.prefix(batchSize))
            records = records.dropFirst(batchSize)
            return SourceBatch(records: batch)
        }
    }
}

extension PipelineRunner {
    /// Step types that make one record (or none) of each record, so a record's position names its source record.
    static let oneToOneSteps: Set<String> = ["map", "filter", "set", "rename", "drop", "lookup", "validate", "cast", "clean",
                                             "default", "coalesce", "dedupe", "route"]

    static func oneToOne(_ steps: ArraySlice<PipelineSpec.StepSpec>) -> Bool { steps.allSatisfy { oneToOneSteps.contains($0.type) } }

    /// The records at `positions`, by position; a position two records share names neither.
    static func sources(at positions: Set<SourcePosition>, in records: [Record]) -> [SourcePosition: Value?] {
        var out: [SourcePosition: Value?] = [:]
        for r in records where positions.contains(r.position) {
            out[r.position] = out[r.position] == nil ? r.value : .some(nil)
        }
        return out
    }

    /// The rows of a lazy table at `positions`, as records, by position; only those rows are built.
    static func sources(at positions: Set<SourcePosition>, in table: RecordTable) -> [SourcePosition: Value?] {
        let batch = TableBatch(table)
        let lines = Set(positions.compactMap { $0.file == table.file ? $0.line : nil })
        var out: [SourcePosition: Value?] = [:]
        for (row, line) in table.lines.enumerated() where lines.contains(line) {
            let position = table.position(row: row)
            out[position] = out[position] == nil ? batch.record(at: row).value : .some(nil)
        }
        return out
    }
}
