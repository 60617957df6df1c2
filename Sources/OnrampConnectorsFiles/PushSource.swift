import OnrampConnectorKit
import OnrampCore
import OnrampFileFormats

/// `push`: the batches pushed to the pipeline through the push API (`PUT /api/v1/push/batches/{id}`), in the order
/// they were stored, each read once: the checkpoint after a batch is its sequence. The bytes are in one format of the
/// file sources (NDJSON by default), gzipped or not; a bad record is an error record naming the batch and line.
struct PushSource: Source {
    /// Nil where nothing is pushed (the CLI, previews): opening it then says where pushed batches are read.
    let batches: [PushedBatch]?
    let format: FileFormat

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        guard let batches else {
            throw OnrampError("source.push", "a push source reads the batches pushed to the pipeline on the server "
                              + "(PUT /api/v1/push/batches/{id}); it has nothing to read here", at: "source.connector")
        }
        return PushReader(pending: batches[...], format: format, batchSize: batchSize, checkpoint: checkpoint)
    }

    func check() async throws -> ConnectorCheck {
        ConnectorCheck(message: "records arrive through the push API (PUT /api/v1/push/batches/{id}) with a push key")
    }

    /// The batches in order: runs of readable ones through the format's reader (the checkpoint after each is its
    /// sequence), and an error record (`push.unreadable`) with the checkpoint past it for each that could not be read.
    struct PushReader: BatchReader {
        var pending: ArraySlice<PushedBatch>
        let format: FileFormat
        let batchSize: Int
        var checkpoint: Value?
        var inner: (any BatchReader)?

        mutating func next() async throws -> SourceBatch? {
            while true {
                if var reader = inner {
                    let batch = try await reader.next()
                    inner = reader
                    if let batch {
                        if batch.checkpoint != nil { checkpoint = batch.checkpoint }
                        return batch
                    }
                    await reader.close()
                    inner = nil
                }
                guard let first = pending.first else { return nil }
                if let failure = first.failure {
                    pending = pending.dropFirst()
                    checkpoint = PushedBatch.checkpoint(after: first.sequence)
                    let error = RecordError(stage: .extract, position: SourcePosition(file: "push:\(first.id)", line: nil, key: nil),
                                            code: "push.unreadable", message: "pushed batch \(first.id) could not be read: \(failure)")
                    return SourceBatch(errors: [error], checkpoint: checkpoint)
                }
                let readable = pending.prefix { $0.failure == nil }
                pending = pending.dropFirst(readable.count)
                let files = readable.map { FileInput(path: $0.path, name: "push:\($0.id)", fingerprint: String($0.sequence)) }
                inner = format.reader(files: files, batchSize: batchSize, checkpoint: checkpoint, checkpointing: { prior, file in
                    PushedBatch.checkpoint(after: Int64(file.fingerprint) ?? PushedBatch.sequence(in: prior))
                })
            }
        }

        mutating func close() async {
            await inner?.close()
            inner = nil
        }
    }

    static let spec: SourceSpec = {
        var properties: Value.Object = [
            "format": ["type": "string", "enum": .array(FileFormat.names.map(Value.string)), "default": "ndjson",
                       "title": "Format", "description": "What the pushed batches hold: records as NDJSON, a JSON array, or a file"],
            "run_on_arrival": ["type": "boolean", "default": true, "title": "Run on arrival",
                               "description": "Queue a run when a batch arrives (off: schedules and on-demand runs only)"],
            "window_seconds": ["type": "number", "minimum": 0, "maximum": 86400, "default": 0, "title": "Batch window",
                               "description": .string("Seconds a run queued on arrival waits for more batches, so one run "
                                   + "reads every batch of the window (0: it starts at once)"), "examples": [60]],
        ]
        for name in FileFormat.names {
            for (k, v) in FileFormat.optionProperties(name) where properties[k] == nil { properties[k] = v }
        }
        var spec = SourceSpec(
            name: "push", summary: "Reads the batches pushed to the pipeline (push API, edge agent), each once, in order.",
            configSchema: ["type": "object", "additionalProperties": false, "properties": .object(properties)],
            incrementalSchema: ["type": "object", "additionalProperties": false, "required": ["mode"],
                                "properties": ["mode": ["type": "string", "enum": ["batches"], "title": "Mode",
                                                        "description": "Read each pushed batch once (always so)"]]],
            build: { config, _, resources in
                let name = config["format"]?.stringValue ?? "ndjson"
                return PushSource(batches: resources.pushed, format: try FileFormat.make(name, options: config, at: "source.config"))
            })
        spec.alwaysIncremental = true
        return spec
    }()
}
