import OnrampCore

/// A transform step instance for one run. Steps that buffer (group) report `isIdle` so the engine
/// knows when a source checkpoint may be committed.
public protocol Step: AnyObject {
    var label: String { get }
    func process(_ records: [Record], errors: inout [RecordError]) -> [Record]
    func finish(errors: inout [RecordError]) -> [Record]
    var isIdle: Bool { get }
}

extension Step {
    public func finish(errors: inout [RecordError]) -> [Record] { [] }
    public var isIdle: Bool { true }
}

/// A step that can also work on a lazy table without building its records. Nil means this table
/// needs the record path (the engine then runs `process` on its records, from this step on).
public protocol TableStep: Step {
    func process(table: TableBatch) -> TableBatch?
}
