import OnrampConnectorKit
import OnrampCore
import OnrampTransforms

/// What the steps made of one source batch, in the order a sequential run records and delivers it: the runner
/// lands these events (errors into the report, records and tables into the destination) and then commits.
struct PreparedBatch: Sendable {
    enum Event: Sendable {
        case errors([RecordError])
        case records([Record])
        /// A lazy table that went through every step; the destination writes it whole or as records.
        case table(TableBatch)
    }

    /// Rows the source read for this batch (records and extract errors).
    var read = 0
    var events: [Event] = []
    /// The checkpoint to commit once every event before it has landed (with the steps' memories as they are then).
    var checkpoint: Value?
    /// How far the source has read, when it can tell.
    var progress: ReadProgress?
}

/// Preparing a batch failed: what it gathered before (read count, errors, records of earlier tables) lands first, as
/// a sequential run would have recorded it, then the run fails with `error`.
struct PreparationFailure: Error {
    let partial: PreparedBatch
    let error: any Error
}

/// The read-and-transform half of a run: reads the next source batch and passes it through the steps, so that the
/// runner can land one batch in the destination while the next is being prepared.
///
/// Not thread-safe: one task at a time uses it. The runner starts each `next()` only after the previous one ended,
/// and calls `finish`, `transformed` and `close` only when no `next()` is running.
final class RunPreparer: @unchecked Sendable {
    private var reader: any BatchReader
    let steps: [RunStep]
    private let spec: PipelineSpec
    private let lazyTables: Bool
    private let maxRecordsRead: Int?
    /// The stateful steps' memories, stored under `key`; empty in a replay.
    private let remembering: [(key: String, step: any StatefulStep)]
    /// Rows read so far, the runner's replayed records included (the record limit counts them all).
    var recordsRead = 0
    /// The last checkpoint the source gave that could not be committed yet (a step still held records).
    private(set) var pendingCheckpoint: Value?
    /// The source records' fields so far (nil: not observed, as in a replay).
    private(set) var observed: ObservedSchema?
    private let drift: DriftWatch?

    init(reader: any BatchReader, steps: [RunStep], spec: PipelineSpec, lazyTables: Bool, maxRecordsRead: Int?,
         remembering: [(key: String, step: any StatefulStep)], observing: Bool = false, drift: DriftWatch? = nil) {
        observed = observing ? ObservedSchema() : nil
        self.drift = drift
        self.reader = reader
        self.steps = steps
        self.spec = spec
        self.lazyTables = lazyTables
        self.maxRecordsRead = maxRecordsRead
        self.remembering = remembering
    }

    /// The steps' memories now. Only asked when no `next()` runs: a run whose steps remember does not overlap.
    var states: [(key: String, state: Value)] { remembering.map { ($0.key, $0.step.snapshot()) } }

    /// Whether the next batch may be prepared while one lands: not when preparing has effects outside the run that a
    /// stop would leave unrecorded (a route's second destination, a plugin transform), nor when a step remembers
    /// records across runs (its memory must leave out what the destination refused before it is stored).
    var overlaps: Bool { remembering.isEmpty && steps.allSatisfy { $0.routeDestination == nil && $0.transform == nil } }

    /// A record that failed after a remembering step is forgotten by it (by source position), so that a fixed record
    /// gets through next time.
    func forget(_ errors: [RecordError], before index: Int) {
        guard !remembering.isEmpty else { return }
        let positions = Set(errors.lazy.filter { !$0.isWarning }.map(\.position))
        guard !positions.isEmpty else { return }
        for (i, step) in steps.enumerated() where i < index { step.stateful?.forget(positions) }
    }

    /// The next source batch through the steps; nil at the end of the input.
    func next() async throws -> PreparedBatch? {
        guard let batch = try await reader.next() else { return nil }
        var out = PreparedBatch(read: batch.recordCount + batch.errors.count)
        recordsRead += out.read
        do {
            if let max = maxRecordsRead, recordsRead > max {
                throw OnrampError("run.limit_records", "the run read more than its limit of \(max) records")
            }
            // In place: a copy taken out of the optional would be copied whole again by the mutation, every batch.
            let first = observed?.records == 0
            observed?.observe(batch)
            if let drift, let schema = observed { try drift.check(schema, first: first) }
            out.progress = batch.progress
            out.events.append(.errors(batch.errors))
            try await transform(batch.records, from: 0, sources: { PipelineRunner.sources(at: $0, in: batch.records) },
                                into: &out)
            for table in batch.tables { try await transform(table, into: &out) }
        } catch {
            throw PreparationFailure(partial: out, error: error)
        }
        if let c = batch.checkpoint { pendingCheckpoint = c }
        if let c = pendingCheckpoint, steps.allSatisfy(\.isIdle) {
            out.checkpoint = c
            pendingCheckpoint = nil
        }
        return out
    }

    /// `records` through the steps from `first` on, as events.
    func transformed(_ records: [Record], from first: Int) async throws -> PreparedBatch {
        var out = PreparedBatch()
        do { try await transform(records, from: first, into: &out) } catch {
            throw PreparationFailure(partial: out, error: error)
        }
        return out
    }

    /// The next records step `index` still holds at the end of the input, through the steps after it; `done` when
    /// it held none (the engine asks until then).
    func finish(step index: Int) async throws -> (batch: PreparedBatch, done: Bool) {
        var errors: [RecordError] = []
        let records = try await steps[index].finish(errors: &errors)
        forget(errors, before: index)
        if index > 0 { for j in errors.indices { errors[j].reentryStep = index } }
        var out = PreparedBatch(events: [.errors(errors)])
        if records.isEmpty { return (out, true) }
        do { try await transform(records, from: index + 1, into: &out) } catch {
            throw PreparationFailure(partial: out, error: error)
        }
        return (out, false)
    }

    func close() async { await reader.close() }

    /// `sources` gives the source records at some positions as the source read them, to name the source record of a
    /// record that fails after the first step (when the steps before it keep one record per source record).
    private func transform(_ records: consuming [Record], from first: Int,
                           sources: ((Set<SourcePosition>) -> [SourcePosition: Value?])? = nil,
                           into out: inout PreparedBatch) async throws {
        for (i, step) in steps.enumerated().dropFirst(first) {
            var errors: [RecordError] = []
            try await step.process(taking: &records, errors: &errors)
            forget(errors, before: i)
            // A route's second destination refused these: a replay sends them through that route again.
            for j in errors.indices where errors[j].stage == .load { errors[j].reentryStep = i }
            if i > 0, !errors.isEmpty {
                if let sources, PipelineRunner.oneToOne(spec.steps[..<i]) {
                    let bySource = sources(Set(errors.lazy.filter { !$0.reentersAtStep }.map(\.position)))
                    for j in errors.indices where !errors[j].reentersAtStep {
                        errors[j].source = bySource[errors[j].position] ?? nil
                    }
                }
                for j in errors.indices where errors[j].source == nil && errors[j].stage != .load { errors[j].reentryStep = i }
            }
            if !errors.isEmpty { out.events.append(.errors(errors)) }
        }
        if !records.isEmpty { out.events.append(.records(records)) }
    }

    /// A lazy table stays one through every step that takes tables; from the first step that does not, its rows go
    /// on as records.
    private func transform(_ table: RecordTable, into out: inout PreparedBatch) async throws {
        var lazy = TableBatch(table)
        var next = 0
        while lazyTables, next < steps.count, let step = steps[next].tableStep, let result = step.process(table: lazy) {
            lazy = result
            next += 1
        }
        if lazyTables, next == steps.count {
            out.events.append(.table(lazy))
        } else {
            try await transform(lazy.records(), from: next, sources: { PipelineRunner.sources(at: $0, in: table) }, into: &out)
        }
    }
}
