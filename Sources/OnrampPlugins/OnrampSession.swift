import OnrampCore

/// A long-lived Onramp-protocol process (a destination's `write`, a step's `transform`): started by its first
/// exchange with `request`, then one answer of an expected type per batch; `close` asks it to flush and waits for
/// it to exit 0. Batches are numbered (`"batch": N`); an answer that names another batch is out of step. After a
/// failure every later exchange throws that failure and the process is gone.
actor OnrampSession {
    /// Whether an answer must name the batch it answers (`transformed`) or may (`outcomes`).
    enum Echo: Sendable { case required, optional }

    let runtime: PluginRuntime
    let request: Value
    private var operation: PluginRuntime.Operation?
    private var broken: OnrampError?
    private var batches = 0

    init(runtime: PluginRuntime, request: Value) {
        self.runtime = runtime
        self.request = request
    }

    /// Sends `records` as the next batch and returns `decode` of the answer of type `expect`; an answer out of step,
    /// or one `decode` refuses, breaks the session.
    func exchange<T: Sendable>(_ records: [Record], expect: String, echo: Echo,
                               _ decode: (Value) throws -> T) async throws -> T {
        if let broken { throw broken }
        let op = try await session()
        batches += 1
        do {
            try await op.process.send(["type": "batch", "batch": .number(Double(batches)), "records": .array(records.map(\.value))])
            let answer = try await self.answer(op, expect: expect)
            if answer["batch"] != nil || echo == .required, answer["batch"] != .number(Double(batches)) {
                throw bad("answered batch \(batches) with an answer for batch "
                          + (answer["batch"].map { JSONWriter.string($0) } ?? "(none)") + ": its answers are out of step")
            }
            return try decode(answer)
        } catch let e as OnrampError {
            await fail(e)
            throw e
        }
    }

    /// The error for an answer that breaks the protocol.
    func bad(_ what: String) -> OnrampError {
        OnrampError("plugin.bad_message", "plugin \(runtime.manifest.name) \(what)")
    }

    /// Ends the process: `close`, its `closed`, exit status 0.
    func close() async throws {
        if let broken { throw broken }
        guard let op = operation else { return }
        operation = nil
        do {
            try await op.process.send(["type": "close"])
            _ = try await answer(op, expect: "closed")
        } catch let e as OnrampError {
            broken = e
            await op.kill()
            throw e
        }
        let ending = await op.finish()
        guard ending.clean else { throw runtime.failure(op, ending, doing: "close") }
    }

    /// Stops the process whatever its state; the session is over.
    func kill() async {
        await fail(OnrampError("plugin.stopped", "plugin \(runtime.manifest.name) was stopped"))
    }

    private func fail(_ e: OnrampError) async {
        broken = broken ?? e
        guard let op = operation else { return }
        operation = nil
        await op.kill()
    }

    private func session() async throws -> PluginRuntime.Operation {
        if let operation { return operation }
        let op = try runtime.start([], short: false)
        operation = op
        do { try await op.process.send(request) } catch {
            operation = nil
            let ending = await op.finish()
            let e = runtime.failure(op, ending, doing: "the \(request["type"]?.stringValue ?? "") request")
            broken = e
            throw e
        }
        return op
    }

    private func answer(_ op: PluginRuntime.Operation, expect: String) async throws -> Value {
        let name = runtime.manifest.name
        while let line = await op.process.nextLine() {
            let m: Value
            switch PluginMessage.parse(line) {
            case .message(let message): m = message
            case .bad(let e):
                throw bad("printed a bad line (stdout line \(e.position.line ?? 0): \(e.message)) while Onramp waited for \(expect)")
            }
            switch m["type"]?.stringValue {
            case expect: return m
            case "log": OnrampProtocol.log(m, plugin: name, logger: runtime.logger)
            case "failure":
                let f = OnrampProtocol.failure(m, plugin: name)
                throw OnrampError(f.code, runtime.redact(f.message), at: f.location)
            default:
                throw bad("sent \"\(PluginMessage.text(m["type"]) ?? "")\" while Onramp waited for \(expect)")
            }
        }
        let ending = await op.finish()
        throw runtime.failure(op, ending, doing: "waiting for \(expect)")
    }
}
