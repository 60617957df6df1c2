import OnrampCore

/// A transform step instance for one run. Steps that buffer (group, sort) report `isIdle` so the engine
/// knows when a source checkpoint may be committed.
public protocol Step: AnyObject {
    var label: String { get }
    func process(_ records: [Record], errors: inout [RecordError]) -> [Record]
    /// `process` on records the caller gives up, changed in place when the step only changes fields (no record is
    /// copied when the caller held the only reference); `records` becomes the step's output.
    func process(taking records: inout [Record], errors: inout [RecordError])
    /// At the end of the input: the records the step still holds. Called until it gives none.
    func finish(errors: inout [RecordError]) -> [Record]
    var isIdle: Bool { get }
    /// Set when the step can no longer work (a sort's spill file could not be written): the run fails with it.
    var failure: OnrampError? { get }
}

extension Step {
    public func process(taking records: inout [Record], errors: inout [RecordError]) {
        records = process(records, errors: &errors)
    }
    public func finish(errors: inout [RecordError]) -> [Record] { [] }
    public var isIdle: Bool { true }
    public var failure: OnrampError? { nil }
}

/// A step that can also work on a lazy table without building its records. Nil means this table
/// needs the record path (the engine then runs `process` on its records, from this step on).
public protocol TableStep: Step {
    func process(table: TableBatch) -> TableBatch?
}
