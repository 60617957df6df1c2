import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore

/// A plugin speaking Onramp's own protocol (docs/plugin-protocol.md) as a source. Its config travels on stdin
/// (never in a file).
struct OnrampPluginSource: Source {
    let runtime: PluginRuntime
    let config: PluginSourceConfig

    func check() async throws -> ConnectorCheck {
        try await OnrampProtocol.check(runtime, kind: "source", config: config.settings)
    }

    func discover() async throws -> [DiscoveredStream] {
        let answer = try await OnrampProtocol.ask(runtime, ["type": "discover", "config": config.settings],
                                                  expect: "discover")
        let streams = answer["streams"] ?? []
        do {
            return try JSONDecoder().decode([DiscoveredStream].self, from: Data(JSONWriter.string(streams).utf8))
        } catch {
            throw OnrampError("plugin.bad_message", "plugin \(runtime.manifest.name)'s discover answer does not match the "
                              + "protocol: \(error)")
        }
    }

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        let op = try runtime.start([], short: false)
        let request: Value = ["type": "read", "config": config.settings,
                              "stream": config.stream.map(Value.string) ?? .null,
                              "fields": config.fields.map { .array($0.map(Value.string)) } ?? .null,
                              "incremental": config.incremental ?? .null,
                              "checkpoint": config.incremental == nil ? .null : checkpoint ?? .null,
                              "batch_size": .number(Double(batchSize))]
        do { try await op.process.send(request) } catch {
            let ending = await op.finish()
            throw runtime.failure(op, ending, doing: "the read request")
        }
        op.process.closeInput()
        return PluginBatchReader(runtime: runtime, operation: op,
                                 interpreter: OnrampInterpreter(plugin: runtime.manifest.name, logger: runtime.logger),
                                 batchSize: batchSize, incremental: config.incremental != nil, fields: nil)
    }
}

/// The Onramp protocol's read messages: record, error, checkpoint, log, failure, done.
struct OnrampInterpreter: ReadInterpreter {
    let plugin: String
    let logger: Logger
    let needsDone = true
    let commitRule = StateBatcher.Rule.direct

    func interpret(_ m: Value, line: Int) -> [ReadEvent] {
        switch m["type"]?.stringValue ?? "" {
        case "record":
            guard case .object? = m["record"] else {
                return [.error(PluginMessage.error(line, "plugin.bad_message",
                                                   "a record message needs a \"record\" object"))]
            }
            return [.record(Record(m["record"]!, position: Self.position(m["position"], line: line, plugin: plugin)))]
        case "error":
            let code = PluginMessage.text(m["code"]) ?? "plugin.record_error"
            let message = PluginMessage.text(m["message"]) ?? "the plugin could not read a record"
            return [.error(RecordError(stage: .extract, position: Self.position(m["position"], line: line, plugin: plugin),
                                       code: code, message: message, value: m["value"]))]
        case "checkpoint":
            return [.state(m["checkpoint"] ?? .null)]
        case "log":
            OnrampProtocol.log(m, plugin: plugin, logger: logger)
            return []
        case "failure":
            return [.failure(OnrampProtocol.failure(m, plugin: plugin))]
        case "done":
            return [.done]
        case let other:
            return [.error(PluginMessage.error(line, "plugin.bad_message",
                                               "unknown message type \"\(PluginMessage.text(.string(other)) ?? "")\" during a read"))]
        }
    }

    static func position(_ p: Value?, line: Int, plugin: String) -> SourcePosition {
        SourcePosition(file: p?["file"]?.stringValue ?? plugin,
                       line: p?["line"]?.numberValue.flatMap { Int(exactly: $0) } ?? (p?["key"] == nil ? line : nil),
                       key: p?["key"]?.stringValue)
    }
}

/// What Onramp-protocol operations share: one request, one answer of an expected type.
enum OnrampProtocol {
    static func ask(_ runtime: PluginRuntime, _ request: Value, expect: String) async throws -> Value {
        let (messages, ending, op) = try await runtime.collect([], input: [request])
        for m in messages {
            if m["type"] == "log" { log(m, plugin: runtime.manifest.name, logger: runtime.logger) }
            if m["type"] == "failure" {
                let f = failure(m, plugin: runtime.manifest.name)
                throw OnrampError(f.code, runtime.redact(f.message), at: f.location)
            }
        }
        guard ending.clean else { throw runtime.failure(op, ending, doing: expect) }
        guard let answer = messages.first(where: { $0["type"]?.stringValue == expect }) else {
            throw OnrampError("plugin.bad_message", "plugin \(runtime.manifest.name) did not answer \(expect)")
        }
        return answer
    }

    static func check(_ runtime: PluginRuntime, kind: String, config: Value) async throws -> ConnectorCheck {
        let answer = try await ask(runtime, ["type": "check", "kind": .string(kind), "config": config], expect: "check")
        let message = PluginMessage.text(answer["message"]) ?? ""
        guard answer["ok"] == .bool(true) else {
            let field = PluginMessage.text(answer["field"]).map { ".\($0)" } ?? ""
            let text = message.isEmpty ? "the plugin refused its config" : message
            throw OnrampError("plugin.check_failed", runtime.redact(text), at: "\(kind).config.settings\(field)")
        }
        return ConnectorCheck(message: runtime.redact(message.isEmpty ? "the plugin accepted its config" : message))
    }

    static func failure(_ m: Value, plugin: String) -> OnrampError {
        let field = PluginMessage.text(m["field"])
        return OnrampError(PluginMessage.text(m["code"]) ?? "plugin.failure",
                           "plugin \(plugin): " + (PluginMessage.text(m["message"]) ?? "failed"),
                           at: field.map { "config.settings.\($0)" })
    }

    static func log(_ m: Value, plugin: String, logger: Logger) {
        let text = "plugin \(plugin): \(PluginMessage.text(m["message"]) ?? "")"
        switch m["level"]?.stringValue ?? "info" {
        case "error": logger.error("\(text)")
        case "warning": logger.warning("\(text)")
        case "debug": logger.debug("\(text)")
        default: logger.info("\(text)")
        }
    }
}
