import OnrampCore

/// A long-lived Onramp-protocol process (a destination's `write`, a step's `transform`): started by its first
/// exchange with `request`, then one answer of an expected type per message; `close` asks it to flush and waits
/// for it to exit 0. After a failure every later exchange throws that failure.
actor OnrampSession {
    let runtime: PluginRuntime
    let request: Value
    private var operation: PluginRuntime.Operation?
    private var broken: OnrampError?

    init(runtime: PluginRuntime, request: Value) {
        self.runtime = runtime
        self.request = request
    }

    /// Sends `message` and returns the answer of type `expect` (log lines pass; anything else is an error).
    func exchange(_ message: Value, expect: String) async throws -> Value {
        if let broken { throw broken }
        let op = try await session()
        do {
            try await op.process.send(message)
            return try await answer(op, expect: expect)
        } catch let e as OnrampError {
            broken = e
            await op.kill()
            throw e
        }
    }

    /// Ends the process: `close`, its `closed`, exit status 0.
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

    /// Stops the process whatever its state.
    func kill() async {
        guard let op = operation else { return }
        operation = nil
        await op.kill()
    }

    private func session() async throws -> PluginRuntime.Operation {
        if let operation { return operation }
        let op = try runtime.start([], short: false)
        operation = op
        do { try await op.process.send(request) } catch {
            let ending = await op.finish()
            throw runtime.failure(op, ending, doing: "the \(request["type"]?.stringValue ?? "") request")
        }
        return op
    }

    private func answer(_ op: PluginRuntime.Operation, expect: String) async throws -> Value {
        let name = runtime.manifest.name
        while let line = await op.process.nextLine() {
            guard case .message(let m) = PluginMessage.parse(line) else {
                throw OnrampError("plugin.bad_message", "plugin \(name) printed a line that is not a message while "
                                  + "Onramp waited for \(expect)")
            }
            switch m["type"]?.stringValue {
            case expect: return m
            case "log": OnrampProtocol.log(m, plugin: name, logger: runtime.logger)
            case "failure":
                let f = OnrampProtocol.failure(m, plugin: name)
                throw OnrampError(f.code, runtime.redact(f.message), at: f.location)
            default:
                throw OnrampError("plugin.bad_message", "plugin \(name) sent \"\(m["type"]?.stringValue ?? "")\" while "
                                  + "Onramp waited for \(expect)")
            }
        }
        let ending = await op.finish()
        throw runtime.failure(op, ending, doing: "waiting for \(expect)")
    }
}
