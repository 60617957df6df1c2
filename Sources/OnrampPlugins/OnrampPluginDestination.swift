import OnrampConnectorKit
import OnrampCore

/// A plugin speaking Onramp's protocol as a destination: one process per run, started on the first batch; each
/// batch is answered with one outcome per record, in order; `close` asks it to flush and waits for it to exit.
actor OnrampPluginDestination: Destination {
    let runtime: PluginRuntime
    let settings: Value
    private var operation: PluginRuntime.Operation?
    private var broken: OnrampError?

    init(runtime: PluginRuntime, settings: Value) {
        self.runtime = runtime
        self.settings = settings
    }

    nonisolated var outputPath: String? { nil }

    func check() async throws -> ConnectorCheck {
        try await OnrampProtocol.check(runtime, kind: "destination", config: settings)
    }

    func write(_ records: [Record]) async throws -> [RecordOutcome] {
        if let broken { throw broken }
        let op = try await session()
        do {
            try await op.process.send(["type": "batch", "records": .array(records.map(\.value))])
            let answer = try await answer(op, expect: "outcomes")
            guard let outcomes = answer["outcomes"]?.arrayValue, outcomes.count == records.count else {
                throw OnrampError("plugin.bad_outcomes", "plugin \(runtime.manifest.name) answered a batch of \(records.count) "
                                  + "records with \(answer["outcomes"]?.arrayValue?.count ?? 0) outcomes")
            }
            return outcomes.map { o in
                if o["ok"] == .bool(true) { return .ok(result: o["result"]) }
                return .failed(code: o["code"]?.stringValue ?? "plugin.refused",
                               message: runtime.redact(o["message"]?.stringValue ?? "the plugin refused the record"))
            }
        } catch let e as OnrampError {
            broken = e
            await op.kill()
            throw e
        }
    }

    func close() async throws {
        guard let op = operation else { return }
        operation = nil
        if broken != nil { return }
        do {
            try await op.process.send(["type": "close"])
            _ = try await answer(op, expect: "closed")
        } catch {
            await op.kill()
            throw error
        }
        let ending = await op.finish()
        guard ending.clean else { throw runtime.failure(op, ending, doing: "close") }
    }

    private func session() async throws -> PluginRuntime.Operation {
        if let operation { return operation }
        let op = try runtime.start([], short: false)
        operation = op
        do { try await op.process.send(["type": "write", "config": settings]) } catch {
            let ending = await op.finish()
            throw runtime.failure(op, ending, doing: "the write request")
        }
        return op
    }

    /// The next message of type `expect` (logs pass; a failure or the end of output is an error).
    private func answer(_ op: PluginRuntime.Operation, expect: String) async throws -> Value {
        while let line = await op.process.nextLine() {
            guard case .message(let m) = PluginMessage.parse(line) else {
                throw OnrampError("plugin.bad_message", "plugin \(runtime.manifest.name) printed a line that is not a "
                                  + "message while Onramp waited for \(expect)")
            }
            switch m["type"]?.stringValue {
            case expect: return m
            case "log": OnrampProtocol.log(m, plugin: runtime.manifest.name, logger: runtime.logger)
            case "failure":
                let f = OnrampProtocol.failure(m, plugin: runtime.manifest.name)
                throw OnrampError(f.code, runtime.redact(f.message), at: f.location)
            default:
                throw OnrampError("plugin.bad_message", "plugin \(runtime.manifest.name) sent \"\(m["type"]?.stringValue ?? "")\" "
                                  + "while Onramp waited for \(expect)")
            }
        }
        let ending = await op.finish()
        throw runtime.failure(op, ending, doing: "a write (waiting for \(expect))")
    }
}
