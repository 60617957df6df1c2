import Logging
import OnrampConnectorKit
import OnrampCore

/// What a read's stdout message means, per protocol.
enum ReadEvent: Sendable {
    case record(Record)
    case error(RecordError)
    case state(Value)
    /// The plugin reported that the read failed (Onramp `failure`, Airbyte `TRACE` error).
    case failure(OnrampError)
    /// The plugin says its output is complete (Onramp `done`).
    case done
    /// How many records the plugin expects to send in all (Airbyte `TRACE` estimate): batches then carry progress.
    case estimate(rows: Int64)
}

/// Interprets one protocol's read messages.
protocol ReadInterpreter: Sendable {
    mutating func interpret(_ message: Value, line: Int) -> [ReadEvent]
    /// Whether the output must end with `done` to be a clean end.
    var needsDone: Bool { get }
    /// When a state is committed (see `StateBatcher`).
    var commitRule: StateBatcher.Rule { get }
    /// Why a read that ended cleanly still failed (records of other streams only).
    func endFailure() -> OnrampError?
}

extension ReadInterpreter {
    func endFailure() -> OnrampError? { nil }
}

/// Records of streams the pipeline does not read: one warning per stream, and a failed read (no state committed)
/// when they were all the plugin sent, since then the stream's name was misread, not its records absent.
struct IgnoredStreams: Sendable {
    var names: Set<String> = []
    var count = 0
    var own = 0

    mutating func add(_ name: String, plugin: String, reading: String, logger: Logger) {
        count += 1
        if names.insert(name).inserted {
            logger.warning("plugin \(plugin): ignoring records of stream \(name) (the pipeline reads \(reading))")
        }
    }

    func failure(plugin: String, stream: String) -> OnrampError? {
        guard own == 0, count > 0 else { return nil }
        return OnrampError("plugin.wrong_stream", "plugin \(plugin) sent \(count) records of \(names.sorted().joined(separator: ", ")) "
                           + "and none of \(stream), the stream the pipeline reads")
    }
}

/// Reads a plugin's records as batches: stdout lines become messages, messages become records, error records and
/// states, and the `StateBatcher` decides which state each batch commits. The process is killed on `close` when the
/// read did not finish, and a plugin that ended badly ends the read with its error after its last records.
struct PluginBatchReader<Interpreter: ReadInterpreter>: BatchReader {
    let runtime: PluginRuntime
    let operation: PluginRuntime.Operation
    var interpreter: Interpreter
    var batcher: StateBatcher
    /// Fields to keep (nil: all).
    let fields: Set<String>?
    private var queued: [SourceBatch] = []
    private var finished = false
    private var sawDone = false
    private var reported: OnrampError?
    private var pendingError: (any Error)?
    private var estimatedRows: Int64?
    private var recordsSeen: Int64 = 0

    init(runtime: PluginRuntime, operation: PluginRuntime.Operation, interpreter: Interpreter, batchSize: Int,
         incremental: Bool, fields: [String]?) {
        self.runtime = runtime
        self.operation = operation
        self.interpreter = interpreter
        batcher = StateBatcher(batchSize: batchSize, incremental: incremental, rule: interpreter.commitRule)
        self.fields = fields.map(Set.init)
    }

    mutating func next() async throws -> SourceBatch? {
        while true {
            if Task.isCancelled {
                await close()
                throw CancellationError()
            }
            if !queued.isEmpty { return queued.removeFirst() }
            if finished {
                if let e = pendingError { pendingError = nil; throw e }
                return nil
            }
            guard let line = await operation.process.nextLine() else {
                try await end()
                continue
            }
            let number: Int = switch line { case .text(_, let n), .tooLong(_, let n): n }
            switch PluginMessage.parse(line) {
            case .bad(let e): add(batcher.error(runtime.redact(e)))
            case .message(let m):
                for event in interpreter.interpret(m, line: number) { take(event) }
            }
        }
    }

    private mutating func take(_ event: ReadEvent) {
        switch event {
        case .record(var r):
            if let fields, case .object(let o) = r.value {
                r.value = .object(o.filter { fields.contains($0.key) })
            }
            recordsSeen += 1
            add(batcher.record(r))
        case .error(let e): add(batcher.error(runtime.redact(e)))
        case .state(let s): add(batcher.state(s))
        case .failure(let e): reported = reported ?? e
        case .done: sawDone = true
        case .estimate(let rows): estimatedRows = rows
        }
    }

    private mutating func add(_ batch: SourceBatch?) {
        guard var batch else { return }
        // An estimate can be low: the records seen so far are then the total until the read ends.
        if let estimatedRows { batch.progress = ReadProgress(done: recordsSeen, total: max(estimatedRows, recordsSeen)) }
        queued.append(batch)
    }

    private mutating func end() async throws {
        finished = true
        let ending = await operation.finish()
        try Task.checkCancellation()
        if let wrong = interpreter.endFailure() { reported = reported ?? wrong }
        let clean = ending.clean && reported == nil && (sawDone || !interpreter.needsDone)
        add(batcher.finish(clean: clean))
        if clean { return }
        if let reported {
            pendingError = OnrampError(reported.code, runtime.redact(reported.message) + operation.process.stderrSuffix,
                                       at: reported.location)
        } else if ending.clean {
            pendingError = OnrampError("plugin.incomplete", "plugin \(runtime.manifest.name) exited without \"done\": "
                                       + "its output is incomplete" + operation.process.stderrSuffix)
        } else {
            pendingError = runtime.failure(operation, ending, doing: "the read")
        }
    }

    mutating func close() async {
        if !finished {
            finished = true
            await operation.kill()
        }
    }
}
