import Logging
import OnrampConnectorKit
import OnrampCore

/// An Airbyte source (the Airbyte protocol): `check`, `discover` and `read` with a configured catalog and state;
/// RECORD, STATE (stream, global, legacy), LOG, TRACE, CONNECTION_STATUS and CATALOG messages.
struct AirbyteSource: Source {
    let runtime: PluginRuntime
    let config: PluginSourceConfig

    func check() async throws -> ConnectorCheck {
        let (messages, ending, op) = try await runtime.collect(["check", "--config", "{config.json}"],
                                                               files: ["config.json": config.settings])
        guard let status = messages.first(where: { $0["type"] == "CONNECTION_STATUS" })?["connectionStatus"] else {
            if let trace = Self.traceError(messages) { throw OnrampError(trace.code, runtime.redact(trace.message)) }
            throw ending.clean ? OnrampError("plugin.bad_message", "plugin \(runtime.manifest.name) answered check "
                                             + "without a CONNECTION_STATUS") : runtime.failure(op, ending, doing: "check")
        }
        let message = PluginMessage.text(status["message"])
        guard status["status"] == "SUCCEEDED" else {
            throw OnrampError("plugin.check_failed", runtime.redact(message ?? "the source refused its config"),
                              at: "source.config.settings")
        }
        return ConnectorCheck(message: runtime.redact(message ?? "the source accepted its config"))
    }

    func discover() async throws -> [DiscoveredStream] {
        try await catalog().map { s in
            let pk = (s["source_defined_primary_key"]?.arrayValue ?? []).compactMap { path in
                path.arrayValue?.compactMap(\.stringValue).joined(separator: ".")
            }
            return DiscoveredStream(name: s["name"]?.stringValue ?? "", kind: .resource,
                                    fields: SchemaFields.fields(s["json_schema"]), primaryKey: pk,
                                    cursorField: s["default_cursor_field"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
    }

    func catalog() async throws -> [Value] {
        let (messages, ending, op) = try await runtime.collect(["discover", "--config", "{config.json}"],
                                                               files: ["config.json": config.settings])
        guard let streams = messages.first(where: { $0["type"] == "CATALOG" })?["catalog"]?["streams"]?.arrayValue else {
            if let trace = Self.traceError(messages) { throw OnrampError(trace.code, runtime.redact(trace.message)) }
            throw ending.clean ? OnrampError("plugin.bad_catalog", "plugin \(runtime.manifest.name) printed no CATALOG")
                : runtime.failure(op, ending, doing: "discover")
        }
        return streams
    }

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        let stream = try config.pick(try await catalog(), name: { $0["name"]?.stringValue ?? "" },
                                     plugin: runtime.manifest.name)
        let name = stream["name"]?.stringValue ?? ""
        var configured: Value.Object = ["stream": stream, "destination_sync_mode": "append"]
        if let incremental = config.incremental {
            guard stream["supported_sync_modes"]?.arrayValue?.contains("incremental") ?? false else {
                throw OnrampError("plugin.no_incremental", "stream \(name) supports only full refresh",
                                  at: "source.incremental")
            }
            configured["sync_mode"] = "incremental"
            if stream["source_defined_cursor"]?.boolValue != true {
                guard let cursor = incremental["cursor_field"]?.arrayValue ?? stream["default_cursor_field"]?.arrayValue,
                      !cursor.isEmpty else {
                    throw OnrampError("plugin.no_cursor",
                                      "stream \(name) has no default cursor; give incremental.cursor_field",
                                      at: "source.incremental")
                }
                configured["cursor_field"] = .array(cursor)
            }
        } else {
            configured["sync_mode"] = "full_refresh"
        }
        if let pk = stream["source_defined_primary_key"] { configured["primary_key"] = pk }
        var files: [String: Value] = ["config.json": config.settings, "catalog.json": ["streams": [.object(configured)]]]
        var args = ["read", "--config", "{config.json}", "--catalog", "{catalog.json}"]
        if config.incremental != nil, let checkpoint {
            files["state.json"] = checkpoint
            args += ["--state", "{state.json}"]
        }
        let op = try runtime.start(args, files: files, short: false)
        op.process.closeInput()
        let keys = (stream["source_defined_primary_key"]?.arrayValue ?? [])
            .compactMap { $0.arrayValue?.first?.stringValue }
        let interpreter = AirbyteInterpreter(plugin: runtime.manifest.name, stream: name,
                                             namespace: stream["namespace"]?.stringValue, keys: keys, logger: runtime.logger,
                                             initial: checkpoint)
        return PluginBatchReader(runtime: runtime, operation: op, interpreter: interpreter, batchSize: batchSize,
                                 incremental: config.incremental != nil, fields: config.fields)
    }

    static func traceError(_ messages: [Value]) -> OnrampError? {
        messages.first { $0["type"] == "TRACE" && $0["trace"]?["type"] == "ERROR" }.map { AirbyteInterpreter.failure($0) }
    }
}

/// Airbyte's messages during a read. The checkpoint is what the next `--state` file holds: the latest STATE of
/// each stream (a JSON array of state messages), the latest GLOBAL one, or a legacy state's `data`.
struct AirbyteInterpreter: ReadInterpreter {
    let plugin: String
    let stream: String
    let namespace: String?
    let keys: [String]
    let logger: Logger
    let needsDone = false
    let commitRule = StateBatcher.Rule.deferred
    private var streamStates: Value.Object = [:]
    private var ignored = IgnoredStreams()

    func endFailure() -> OnrampError? { ignored.failure(plugin: plugin, stream: stream) }

    init(plugin: String, stream: String, namespace: String?, keys: [String], logger: Logger, initial: Value?) {
        self.plugin = plugin
        self.stream = stream
        self.namespace = namespace
        self.keys = keys
        self.logger = logger
        for s in initial?.arrayValue ?? [] where s["type"] == "STREAM" { streamStates[Self.descriptor(s)] = s }
    }

    mutating func interpret(_ m: Value, line: Int) -> [ReadEvent] {
        switch m["type"]?.stringValue ?? "" {
        case "RECORD":
            guard let r = m["record"], let s = r["stream"]?.stringValue, case .object? = r["data"] else {
                return [.error(PluginMessage.error(line, "plugin.bad_message",
                                                   "a RECORD needs record.stream and a record.data object"))]
            }
            // A record without a namespace belongs to the stream of that name.
            let ns = r["namespace"]?.stringValue
            guard s == stream, ns == nil || namespace == nil || ns == namespace else {
                ignored.add(s, plugin: plugin, reading: stream, logger: logger)
                return []
            }
            ignored.own += 1
            let data = r["data"]!
            return [.record(Record(data, position: SourcePosition(file: "\(plugin)/\(stream)", line: line,
                                                                  key: SchemaFields.key(data, keys))))]
        case "STATE":
            // A tap that sent only other streams' records so far has not read this one: its state is not trusted.
            if ignored.own == 0 && ignored.count > 0 { return [] }
            guard let state = m["state"] else {
                return [.error(PluginMessage.error(line, "plugin.bad_message", "a STATE message needs \"state\""))]
            }
            switch state["type"]?.stringValue ?? "LEGACY" {
            case "STREAM":
                streamStates[Self.descriptor(state)] = state
                return [.state(.array(Array(streamStates.values)))]
            case "GLOBAL":
                return [.state([state])]
            default:
                return [.state(state["data"] ?? .null)]
            }
        case "LOG":
            let text = PluginMessage.text(m["log"]?["message"]) ?? ""
            switch m["log"]?["level"]?.stringValue ?? "INFO" {
            case "FATAL", "ERROR": logger.error("plugin \(plugin): \(text)")
            case "WARN": logger.warning("plugin \(plugin): \(text)")
            case "DEBUG", "TRACE": logger.debug("plugin \(plugin): \(text)")
            default: logger.info("plugin \(plugin): \(text)")
            }
            return []
        case "TRACE":
            if m["trace"]?["type"] == "ERROR" { return [.failure(Self.failure(m))] }
            // A stream's estimate (or the whole sync's, when it reads one stream) gives the read its progress.
            if m["trace"]?["type"] == "ESTIMATE", let e = m["trace"]?["estimate"],
               e["type"] == "SYNC" || (e["name"]?.stringValue == stream && (e["namespace"]?.stringValue ?? namespace) == namespace),
               let rows = e["row_estimate"]?.numberValue, rows >= 0, rows < 1e15 {
                return [.estimate(rows: Int64(rows))]
            }
            logger.debug("plugin \(plugin): trace \(m["trace"]?["type"]?.stringValue ?? "")")
            return []
        case "CONTROL":
            logger.warning("plugin \(plugin): ignoring a CONTROL message (a plugin does not change its config on Onramp)")
            return []
        case "SPEC", "CATALOG", "CONNECTION_STATUS":
            return []
        case let other:
            return [.error(PluginMessage.error(line, "plugin.bad_message", "unknown Airbyte message type \"\(PluginMessage.text(.string(other)) ?? "")\""))]
        }
    }

    static func descriptor(_ state: Value) -> String {
        let d = state["stream"]?["stream_descriptor"]
        return (d?["namespace"]?.stringValue ?? "") + "." + (d?["name"]?.stringValue ?? "")
    }

    static func failure(_ m: Value) -> OnrampError {
        let e = m["trace"]?["error"]
        let kind = PluginMessage.text(e?["failure_type"]).map { " (\($0))" } ?? ""
        return OnrampError("plugin.reported_error", "the source reported an error\(kind): "
                           + (PluginMessage.text(e?["message"]) ?? PluginMessage.text(e?["internal_message"]) ?? "no message"))
    }
}
