import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore
import OnrampTransforms

/// Runs one pipeline: pulls batches from the source (backpressure by pulling), passes them through
/// the steps, writes them to the destination, records every failed record, and commits the
/// source's checkpoint only once the destination acknowledged every record before it.
public struct PipelineRunner: Sendable {
    public var spec: PipelineSpec
    public var registry: ConnectorRegistry
    public var resources: ConnectorResources
    public var checkpoints: any CheckpointStore
    /// Directory for results and error reports when the pipeline does not name paths.
    public var outputDirectory: String
    /// Ignore the stored incremental state and read everything.
    public var fullResync = false
    /// The key the incremental state is kept under (the server uses the pipeline id); default: the name.
    public var checkpointKey: String?
    /// Asked after every batch: a stop ends the run there (status `cancelled`; `RunSummary.stop` says why).
    public var stopRequested: (@Sendable () async -> RunStop?)?
    /// The records the run may read (nil: no limit); past it the run fails with `run.limit_records`.
    public var maxRecordsRead: Int?
    /// Hides the tenant's secret values in error reports.
    public var redactor = Redactor.none
    /// Keep tabular batches lazy through the steps and destinations that take tables (the default);
    /// false builds every record first. Both give the same output.
    public var lazyTables = true
    /// When set (the CLI's run id), results and error paths the pipeline names get `-<label>` before
    /// their extension, so a run never overwrites an earlier run's reports.
    public var runLabel: String?
    /// When set, the run reads these records instead of its source (a replay of failed records): extract and
    /// transform ones enter before the first step, load ones go straight to the destination; no checkpoint is read
    /// or committed.
    public var replay: [ReplayRecord]?
    /// The source schema this run's is compared with (`spec.schemaDrift`); nil: the one the last successful run that
    /// read records stored with the checkpoints (under `<key>@schema`), if any.
    public var schemaBaseline: ObservedSchema?

    public init(spec: PipelineSpec, registry: ConnectorRegistry, resources: ConnectorResources,
                checkpoints: any CheckpointStore, outputDirectory: String, fullResync: Bool = false) {
        self.spec = spec
        self.registry = registry
        self.resources = resources
        self.checkpoints = checkpoints
        self.outputDirectory = outputDirectory
        self.fullResync = fullResync
    }

    public func run(progress: (@Sendable (RunProgress) -> Void)? = nil) async -> RunSummary {
        var summary = RunSummary(pipeline: spec.name)
        let clock = ContinuousClock.now
        do {
            try await execute(&summary, start: clock, progress: progress)
        } catch {
            summary.status = .failed
            summary.failureReason = "\(error)"
            resources.logger.error("run failed", metadata: ["pipeline": "\(spec.name)", "error": "\(error)"])
        }
        summary.resultsPath = Self.keepIfWritten(summary.resultsPath)
        summary.errorsCSVPath = Self.keepIfWritten(summary.errorsCSVPath)
        summary.errorsNDJSONPath = Self.keepIfWritten(summary.errorsNDJSONPath)
        if let p = summary.destinationPath, summary.recordsWritten == 0 || !FileManager.default.fileExists(atPath: p) {
            summary.destinationPath = nil
        }
        summary.seconds = Self.seconds(since: clock)
        return summary
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private func path(_ configured: String?, field: String, default name: String) throws -> String {
        guard let configured else { return "\(outputDirectory)/\(name)" }
        guard let runLabel else { return try resources.resolve(configured, field: field, forWriting: true) }
        let ns = configured as NSString
        let ext = ns.pathExtension
        let stem = ext.isEmpty ? configured : ns.deletingPathExtension
        return try resources.resolve("\(stem)-\(runLabel)" + (ext.isEmpty ? "" : ".\(ext)"), field: field, forWriting: true)
    }

    /// The summary names only the reports that hold something; an empty report this run made is removed.
    private static func keepIfWritten(_ path: String?) -> String? {
        guard let path, let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else { return nil }
        if size > 0 { return path }
        try? FileManager.default.removeItem(atPath: path)
        return nil
    }

    /// Runs the pipeline. Plugin steps close with the outputs (their failure fails the run, before the last commit),
    /// and on every failing path.
    private func execute(_ summary: inout RunSummary, start: ContinuousClock.Instant, progress: (@Sendable (RunProgress) -> Void)?) async throws {
        let source: any Source
        if let replay {
            source = ReplaySource(records: try replay.filter { $0.stage != .load && $0.step == nil }.map { try $0.record() })
        } else {
            source = try registry.makeSource(spec.source, resources: resources)
        }
        let destination = try registry.makeDestination(spec.destination, resources: resources)
        var steps: [RunStep] = []
        do {
            for s in spec.steps {
                steps.append(try await RunStep.make(s, registry: registry, resources: resources, scratch: outputDirectory,
                                                    batchSize: spec.batchSize))
            }
            try await execute(&summary, start: start, progress: progress, source: source, destination: destination, steps: steps)
        } catch {
            for step in steps { try? await step.close() }
            // What was sent before the failure is reconciled too (best effort: the run fails anyway).
            if summary.reconciliationPath == nil, summary.errorsNDJSONPath != nil {
                settle(&summary, destination: destination, steps: steps)
                try? writeReconciliation(&summary)
            }
            throw error
        }
    }

    /// The counts and money the destinations and route steps kept, into the summary.
    private func settle(_ summary: inout RunSummary, destination: any Destination, steps: [RunStep]) {
        summary.recordsRouted = steps.reduce(0) { $0 + $1.routedSent }
        summary.routedRefused = steps.reduce(0) { $0 + $1.routedRefused }
        var money = destination.reconciliation
        for route in steps.compactMap(\.routeReconciliation) {
            if money == nil { money = Reconciliation() }
            money?.merge(route)
        }
        summary.reconciliation = money
    }

    /// The reconciliation download, `<name>-reconciliation.csv` in the output directory; like the other reports, not
    /// written for a run that read nothing.
    private func writeReconciliation(_ summary: inout RunSummary) throws {
        guard summary.recordsRead > 0 else { return }
        let path = "\(outputDirectory)/\(spec.name)-reconciliation.csv"
        try summary.writeReconciliation(to: path, redact: redactor)
        summary.reconciliationPath = path
    }

    private func execute(_ summary: inout RunSummary, start: ContinuousClock.Instant, progress: (@Sendable (RunProgress) -> Void)?,
                         source: any Source, destination: any Destination, steps: [RunStep]) async throws {
        let resultsPath = try path(spec.results.path, field: "results.path",
                                   default: "\(spec.name)-results.\(spec.results.format.rawValue)")
        let results = try registry.makeSink(SinkRequest(path: resultsPath, format: spec.results.format == .csv ? .csv : .ndjson,
                                                        append: resources.appendToOutputs, budget: resources.outputBudget))
        let errorsBase = try path(spec.errors.path.map { p in
            for ext in [".csv", ".ndjson"] where p.hasSuffix(ext) { return String(p.dropLast(ext.count)) }
            return p
        }, field: "errors.path", default: "\(spec.name)-errors")
        let report = try ErrorReport(basePath: errorsBase, append: resources.appendToOutputs, budget: resources.outputBudget,
                                     redact: redactor, registry: registry)
        summary.resultsPath = resultsPath
        summary.errorsCSVPath = errorsBase + ".csv"
        summary.errorsNDJSONPath = errorsBase + ".ndjson"
        summary.destinationPath = destination.outputPath

        let key = checkpointKey ?? spec.name
        if fullResync, replay == nil { try await checkpoints.reset(pipeline: key) }
        let stored = !registry.readsIncrementally(spec.source) || replay != nil ? nil : try await checkpoints.load(pipeline: key)
        // A replay starts with empty step memories and keeps none (a dedupe would drop the records it replays).
        let remembering = replay != nil ? []
            : steps.compactMap { step in step.stateful.map { (key: "\(key)#\(step.label)", step: $0) } }
        for (stateKey, step) in remembering {
            if fullResync { try await checkpoints.reset(pipeline: stateKey) }
            if let state = try await checkpoints.load(pipeline: stateKey) { try step.restore(state) }
        }
        let schemaKey = "\(key)@schema"
        var baseline = schemaBaseline
        if baseline == nil, replay == nil, spec.schemaDrift != .ignore {
            baseline = ObservedSchema(value: try await checkpoints.load(pipeline: schemaKey))
        }
        let watch = replay == nil && spec.schemaDrift != .ignore ? baseline.map {
            DriftWatch(baseline: $0, policy: spec.schemaDrift, reads: PipelineLinter.sourceReads(spec, registry: registry))
        } : nil
        let preparer = RunPreparer(reader: try await source.open(checkpoint: stored, batchSize: spec.batchSize), steps: steps,
                                   spec: spec, lazyTables: lazyTables, maxRecordsRead: maxRecordsRead, remembering: remembering,
                                   observing: replay == nil, drift: watch)
        var lastReport = ContinuousClock.now
        var readProgress: ReadProgress?

        func record(_ errors: [RecordError], _ summary: inout RunSummary) async throws {
            guard !errors.isEmpty else { return }
            for e in errors {
                if e.isWarning { summary.warnings += 1 } else { summary.failedByStage[e.stage, default: 0] += 1 }
                summary.group(e)
                if summary.sampleErrors.count < 20 { summary.sampleErrors.append(e) }
            }
            try await report.append(errors)
        }

        func deliver(_ records: [Record], _ summary: inout RunSummary) async throws {
            guard !records.isEmpty else { return }
            summary.recordsSent += records.count
            let outcomes = try await destination.write(records)
            guard outcomes.count == records.count else {
                throw OnrampError("destination.protocol", "the destination answered \(outcomes.count) outcomes for \(records.count) records")
            }
            var answers: [Value] = []
            var failures: [RecordError] = []
            for (r, o) in zip(records, outcomes) {
                switch o {
                case .ok(let result):
                    summary.recordsWritten += 1
                    if let result { answers.append(result) }
                case .failed(let code, let message):
                    failures.append(RecordError(stage: .load, position: r.position, code: code, message: message, value: r.value))
                }
            }
            try await results.write(answers)
            preparer.forget(failures, before: steps.count)
            try await record(failures, &summary)
        }

        /// A prepared batch into the report and the destination, in order; then its checkpoint, if it has one.
        func land(_ batch: PreparedBatch, _ summary: inout RunSummary) async throws {
            summary.recordsRead += batch.read
            if let p = batch.progress { readProgress = p }
            for event in batch.events {
                switch event {
                case .errors(let errors): try await record(errors, &summary)
                case .records(let records): try await deliver(records, &summary)
                case .table(let table):
                    if try await destination.write(table: table) {
                        summary.recordsWritten += table.rowCount
                        summary.recordsSent += table.rowCount
                    } else {
                        try await deliver(table.records(), &summary)
                    }
                }
            }
            guard let checkpoint = batch.checkpoint else { return }
            try await commitStepStates()
            try await checkpoints.commit(pipeline: key, checkpoint: checkpoint)
        }

        /// The remembering steps' memories as they are now (only between batches: such runs do not overlap).
        func commitStepStates() async throws {
            for (stateKey, state) in preparer.states { try await checkpoints.commit(pipeline: stateKey, checkpoint: state) }
        }

        /// `prepare`'s result; when it fails, what it gathered before lands and the run fails with its error.
        func landingWhatFailed<T>(_ prepare: () async throws -> T, _ summary: inout RunSummary) async throws -> T {
            do {
                return try await prepare()
            } catch let failure as PreparationFailure {
                try await land(failure.partial, &summary)
                throw failure.error
            }
        }

        func closeOutputs() async throws {
            for step in steps { try await step.close() }
            try await destination.close()
            settle(&summary, destination: destination, steps: steps)
            try await results.close(creating: false)
            try await report.close()
            try writeReconciliation(&summary)
        }

        /// Reads batches to the end or to a requested stop (returned). Where the preparer `overlaps`, the next batch
        /// is read and transformed while one lands in the destination (one at a time: the preparer is never used by
        /// two tasks at once; a stop cancels a read that has no effect outside the run); otherwise batch after batch.
        func pump(_ summary: inout RunSummary) async throws -> RunStop? {
            let overlap = preparer.overlaps
            return try await withThrowingTaskGroup(of: PreparedBatch?.self) { group in
                group.addTask { try await preparer.next() }
                while true {
                    guard case let batch?? = try await landingWhatFailed({ try await group.next() }, &summary) else { break }
                    if overlap { group.addTask { try await preparer.next() } }
                    try await land(batch, &summary)
                    if let stopRequested, let stop = await stopRequested() {
                        group.cancelAll()
                        return stop
                    }
                    if let max = spec.errors.maxFailed, summary.recordsFailed > max {
                        throw OnrampError("run.error_budget", "more than \(max) failed records")
                    }
                    if let progress, ContinuousClock.now - lastReport > .milliseconds(500) {
                        lastReport = .now
                        progress(RunProgress(read: summary.recordsRead, written: summary.recordsWritten,
                                             failed: summary.recordsFailed, seconds: Self.seconds(since: start),
                                             input: readProgress))
                    }
                    if !overlap { group.addTask { try await preparer.next() } }
                }
                return nil
            }
        }
        var stop: RunStop?
        do {
            if let replay {
                // Load records straight to the destination; records that failed after a merging step at that step.
                let load = try replay.filter { $0.stage == .load && $0.step == nil }.map { try $0.record() }
                summary.recordsRead += load.count
                try await deliver(load, &summary)
                for (step, group) in Dictionary(grouping: replay.filter { $0.step != nil }, by: { $0.step! })
                    .sorted(by: { $0.key < $1.key }) {
                    let records = try group.map { try $0.record() }
                    summary.recordsRead += records.count
                    let from = max(0, min(step, steps.count))
                    try await land(try await landingWhatFailed({ try await preparer.transformed(records, from: from) }, &summary),
                                   &summary)
                }
            }
            preparer.recordsRead = summary.recordsRead
            stop = try await pump(&summary)
        } catch {
            await preparer.close()
            // A run that schema drift stopped says what drifted, as one that ran to its end does.
            summary.observedSchema = preparer.observed
            if let watch, let observed = preparer.observed {
                let drift = SchemaDrift.between(watch.baseline, observed, complete: false)
                summary.schemaDrift = drift.isEmpty ? nil : drift
            }
            throw error
        }
        await preparer.close()
        if let stop {
            try await closeOutputs()
            summary.status = .cancelled
            summary.stop = stop
            summary.failureReason = stop.reason
            return
        }

        // Flush what the steps still hold (open groups), each step's leftovers through the steps after it.
        for i in steps.indices {
            while true {
                let (batch, done) = try await landingWhatFailed({ try await preparer.finish(step: i) }, &summary)
                try await land(batch, &summary)
                if done { break }
            }
        }
        try await closeOutputs()
        try await commitStepStates()
        if let c = preparer.pendingCheckpoint { try await checkpoints.commit(pipeline: key, checkpoint: c) }

        let failed = summary.recordsFailed
        if let ratio = spec.errors.maxFailedRatio, summary.recordsRead > 0, Double(failed) / Double(summary.recordsRead) > ratio {
            summary.status = .failed
            summary.failureReason = "error budget exceeded: \(failed) of \(summary.recordsRead) records failed (max_failed_ratio \(NumberFormatting.javaScript(ratio)))"
        } else {
            summary.status = failed > 0 ? .succeededWithErrors : .succeeded
        }
        summary.observedSchema = preparer.observed
        if let watch, let observed = preparer.observed {
            let drift = SchemaDrift.between(watch.baseline, observed, complete: true)
            summary.schemaDrift = drift.isEmpty ? nil : drift
            if !drift.isEmpty, watch.policy == .fail, summary.status != .failed {
                summary.status = .failed
                summary.failureReason = "schema drift: the source's \(drift.description) since the last successful run "
                    + "(schema_drift: fail)"
            }
        }
        // This run's schema is the next one's baseline, unless it failed or read nothing (no new files).
        if summary.status != .failed, let observed = preparer.observed, observed.records > 0 {
            try await checkpoints.commit(pipeline: schemaKey, checkpoint: observed.asValue)
        }
    }
}
