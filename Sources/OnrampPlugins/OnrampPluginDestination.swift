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
        let answer = try await session.exchange(["type": "batch", "records": .array(records.map(\.value))], expect: "outcomes")
        guard let outcomes = answer["outcomes"]?.arrayValue, outcomes.count == records.count else {
            await session.kill()
            throw OnrampError("plugin.bad_outcomes", "plugin \(runtime.manifest.name) answered a batch of \(records.count) "
                              + "records with \(answer["outcomes"]?.arrayValue?.count ?? 0) outcomes")
        }
        return outcomes.map { o in
            if o["ok"] == .bool(true) { return .ok(result: o["result"]) }
            return .failed(code: o["code"]?.stringValue ?? "plugin.refused",
                           message: runtime.redact(o["message"]?.stringValue ?? "the plugin refused the record"))
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
        let answer = try await session.exchange(["type": "batch", "records": .array(records.map(\.value))],
                                                expect: "transformed")
        guard let out = answer["records"]?.arrayValue else {
            await session.kill()
            throw OnrampError("plugin.bad_message", "plugin \(runtime.manifest.name) answered a batch without \"records\"")
        }
        var errors: [RecordError] = []
        for e in answer["errors"]?.arrayValue ?? [] {
            let index = e["index"]?.numberValue.flatMap { Int(exactly: $0) }
            let input = index.flatMap { records.indices.contains($0) ? records[$0] : nil }
            errors.append(runtime.redact(RecordError(
                stage: .transform, position: input?.position ?? SourcePosition(), code: e["code"]?.stringValue ?? "plugin.transform",
                message: e["message"]?.stringValue ?? "the plugin could not transform the record", step: label, value: input?.value)))
        }
        // An output record keeps the position of the input it names (`index`), else of the batch's first record.
        var made: [Record] = []
        for r in out {
            guard case .object? = r["record"] else {
                await session.kill()
                throw OnrampError("plugin.bad_message", "plugin \(runtime.manifest.name): each of \"records\" must be "
                                  + "{\"index\": N, \"record\": {...}}")
            }
            let index = r["index"]?.numberValue.flatMap { Int(exactly: $0) }
            let position = index.flatMap { records.indices.contains($0) ? records[$0].position : nil } ?? records.first?.position
            made.append(Record(r["record"]!, position: position ?? SourcePosition()))
        }
        return (made, errors)
    }

    func close() async {
        do { try await session.close() } catch {
            runtime.logger.error("plugin \(runtime.manifest.name) (step \(label)) did not close cleanly: \(error)")
        }
    }
}
