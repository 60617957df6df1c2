import OnrampConnectorKit
import OnrampCore

/// Turns a plugin's records and states into batches (pure), committing states by one of two rules:
/// - `.deferred` (Singer, Airbyte): a state is attached, as the checkpoint, to the batch that ends at the NEXT state
///   or at the plugin's clean end, so it is committed only once every record before it and every record after it up
///   to then is acknowledged. A tap that fails never has its last state committed, and one that prints its state
///   before the records it covers loses none of them (they are read again: at least once).
/// - `.direct` (Onramp's protocol, whose plugins MUST print a checkpoint after the records it covers): a checkpoint
///   ends the batch it closes and is committed once every record before it is acknowledged.
struct StateBatcher: Sendable {
    enum Rule: Sendable { case deferred, direct }

    let batchSize: Int
    /// false (a full load): states are not checkpoints.
    let incremental: Bool
    let rule: Rule
    private var records: [Record] = []
    private var errors: [RecordError] = []
    private var uncommitted: Value?

    init(batchSize: Int, incremental: Bool, rule: Rule = .deferred) {
        self.batchSize = max(1, batchSize)
        self.incremental = incremental
        self.rule = rule
    }

    /// A full batch once `batchSize` records are waiting.
    mutating func record(_ r: Record) -> SourceBatch? {
        records.append(r)
        return records.count >= batchSize ? take(checkpoint: nil) : nil
    }

    mutating func error(_ e: RecordError) -> SourceBatch? {
        errors.append(e)
        return errors.count >= batchSize ? take(checkpoint: nil) : nil
    }

    /// A new state: the batch that makes the previous one committable, if there was one.
    mutating func state(_ s: Value) -> SourceBatch? {
        guard incremental else { return nil }
        if rule == .direct { return take(checkpoint: s) }
        defer { uncommitted = s }
        guard let previous = uncommitted else { return nil }
        return take(checkpoint: previous)
    }

    /// The end of the output: `clean` (exit 0, no reported failure) commits the last state.
    mutating func finish(clean: Bool) -> SourceBatch? {
        let checkpoint = clean ? uncommitted : nil
        uncommitted = nil
        if records.isEmpty && errors.isEmpty && checkpoint == nil { return nil }
        return take(checkpoint: checkpoint)
    }

    private mutating func take(checkpoint: Value?) -> SourceBatch {
        defer { records = []; errors = [] }
        return SourceBatch(records: records, errors: errors, checkpoint: checkpoint)
    }
}
