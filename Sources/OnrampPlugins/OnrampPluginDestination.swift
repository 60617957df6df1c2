import OnrampConnectorKit
import OnrampCore

/// A plugin speaking Onramp's protocol as a destination: one process per run, started on the first batch; each
/// batch is answered with one outcome per record, in order; `close` asks it to flush and waits for it to exit.
struct OnrampPluginDestination: Destination {
    let runtime: PluginRuntime
    let settings: Value
    let session: OnrampSession

    init(runtime: PluginRuntime, settings: Value) {
        self.runtime = runtime
        self.settings = settings
        session = OnrampSession(runtime: runtime, request: ["type": "write", "config": settings])
    }

    func check() async throws -> ConnectorCheck {
        try await OnrampProtocol.check(runtime, kind: "destination", config: settings)
    }

    func write(_ records: [Record]) async throws -> [RecordOutcome] {
        try await session.exchange(records, expect: "outcomes", echo: .optional) { answer in
            guard let outcomes = answer["outcomes"]?.arrayValue, outcomes.count == records.count else {
                throw OnrampError("plugin.bad_outcomes", "plugin \(runtime.manifest.name) answered a batch of \(records.count) "
                                  + "records with \(answer["outcomes"]?.arrayValue?.count ?? 0) outcomes")
            }
            return outcomes.map { o in
                if o["ok"] == .bool(true) { return .ok(result: o["result"]) }
                return .failed(code: PluginMessage.text(o["code"]) ?? "plugin.refused",
                               message: runtime.redact(PluginMessage.text(o["message"]) ?? "the plugin refused the record"))
            }
        }
    }

    func close() async throws { try await session.close() }
}

/// A plugin speaking Onramp's protocol as a transform step: one process per run, started on the first batch; each
/// batch is answered with the records it makes (in order) and errors naming the input record they are about.
struct OnrampPluginTransform: RecordTransform {
    let runtime: PluginRuntime
    let label: String
    let session: OnrampSession

    init(runtime: PluginRuntime, settings: Value, label: String) {
        self.runtime = runtime
        self.label = label
        session = OnrampSession(runtime: runtime, request: ["type": "transform", "config": settings])
    }

    func transform(_ records: [Record]) async throws -> (records: [Record], errors: [RecordError]) {
        try await session.exchange(records, expect: "transformed", echo: .required) { answer in
            try decode(answer, of: records)
        }
    }

    /// The records made (each keeps the position of the input its `index` names, else of the batch's first) and
    /// the error records (each names its input); any entry that does not is a broken answer, never a guess.
    func decode(_ answer: Value, of records: [Record]) throws -> (records: [Record], errors: [RecordError]) {
        let name = runtime.manifest.name
        func input(_ entry: Value, _ path: String, required: Bool) throws -> Record? {
            guard let v = entry["index"] else {
                if required { throw OnrampError("plugin.bad_message", "plugin \(name): \(path) names no input (\"index\")") }
                return nil
            }
            guard let i = v.numberValue.flatMap({ Int(exactly: $0) }), records.indices.contains(i) else {
                throw OnrampError("plugin.bad_message", "plugin \(name): \(path).index \(PluginMessage.text(.string(JSONWriter.string(v))) ?? "") "
                                  + "is not a record of this batch (0 to \(records.count - 1))")
            }
            return records[i]
        }
        guard let out = answer["records"]?.arrayValue else {
            throw OnrampError("plugin.bad_message", "plugin \(name) answered a batch without a \"records\" array")
        }
        var made: [Record] = []
        for (k, r) in out.enumerated() {
            guard case .object? = r["record"] else {
                throw OnrampError("plugin.bad_message", "plugin \(name): records[\(k)] must be {\"index\": N, \"record\": {...}}")
            }
            let from = try input(r, "records[\(k)]", required: false)
            made.append(Record(r["record"]!, position: from?.position ?? records.first?.position ?? SourcePosition()))
        }
        guard let failed = answer["errors"].map({ $0.arrayValue }) ?? [] else {
            throw OnrampError("plugin.bad_message", "plugin \(name): \"errors\" must be an array")
        }
        var errors: [RecordError] = []
        for (k, e) in failed.enumerated() {
            guard case .object = e else { throw OnrampError("plugin.bad_message", "plugin \(name): errors[\(k)] must be an object") }
            let from = try input(e, "errors[\(k)]", required: true)
            errors.append(runtime.redact(RecordError(
                stage: .transform, position: from?.position ?? SourcePosition(), code: PluginMessage.text(e["code"]) ?? "plugin.transform",
                message: PluginMessage.text(e["message"]) ?? "the plugin could not transform the record", step: label,
                value: from?.value)))
        }
        return (made, errors)
    }

    func close() async throws {
        do { try await session.close() } catch let e as OnrampError {
            throw OnrampError(e.code, "step \(label): " + e.message, at: e.location)
        }
    }
}
