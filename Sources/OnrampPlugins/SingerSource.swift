import Logging
import OnrampConnectorKit
import OnrampCore

/// A Singer tap (singer-io's SPEC): `--discover` for the catalog, then `--config`, `--catalog` (or `--properties`)
/// and `--state` files for a read of one selected stream; SCHEMA, RECORD and STATE messages on stdout.
struct SingerSource: Source {
    let runtime: PluginRuntime
    let config: PluginSourceConfig

    func check() async throws -> ConnectorCheck {
        let streams = try await catalog()
        return ConnectorCheck(message: "the tap ran and offers \(streams.count) stream\(streams.count == 1 ? "" : "s"): "
                              + streams.compactMap(Self.streamName).joined(separator: ", "))
    }

    func discover() async throws -> [DiscoveredStream] {
        try await catalog().map { entry in
            let root = Self.rootMetadata(entry)
            let valid = root?["valid-replication-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return DiscoveredStream(name: Self.streamName(entry) ?? "", kind: .resource,
                                    fields: SchemaFields.fields(entry["schema"]), primaryKey: Self.keys(entry),
                                    cursorField: (root?["replication-key"]?.stringValue).map { [$0] } ?? Array(valid.prefix(1)))
        }
    }

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        let streams = try await catalog()
        let entry = try config.pick(streams, name: { Self.streamName($0) ?? "" }, plugin: runtime.manifest.name,
                                    alias: { $0["stream"]?.stringValue })
        let stream = Self.streamName(entry) ?? ""
        let selected = try select(stream: stream, in: streams)
        var files: [String: Value] = ["config.json": config.settings, "catalog.json": ["streams": .array(selected)]]
        var args = ["--config", "{config.json}", runtime.manifest.catalogFlag, "{catalog.json}"]
        if config.incremental != nil, let checkpoint {
            files["state.json"] = checkpoint
            args += ["--state", "{state.json}"]
        }
        let op = try runtime.start(args, files: files, short: false)
        op.process.closeInput()
        let interpreter = SingerInterpreter(plugin: runtime.manifest.name, stream: stream,
                                            names: Set([stream, entry["stream"]?.stringValue].compactMap { $0 }),
                                            keys: Self.keys(entry), logger: runtime.logger)
        return PluginBatchReader(runtime: runtime, operation: op, interpreter: interpreter, batchSize: batchSize,
                                 incremental: config.incremental != nil, fields: config.fields)
    }

    /// The tap's catalog (`--discover`), its `streams`.
    func catalog() async throws -> [Value] {
        let (text, ending, op) = try await runtime.collectText(["--config", "{config.json}", "--discover"],
                                                               files: ["config.json": config.settings])
        guard ending.clean else { throw runtime.failure(op, ending, doing: "discovery (--discover)") }
        let catalog: Value
        do { catalog = try JSONParser.parse(text) } catch {
            throw OnrampError("plugin.bad_catalog", "plugin \(runtime.manifest.name) printed a catalog that is not JSON: \(error)")
        }
        guard let streams = catalog["streams"]?.arrayValue else {
            throw OnrampError("plugin.bad_catalog", "plugin \(runtime.manifest.name)'s catalog has no \"streams\" array")
        }
        return streams
    }

    /// The catalog with `stream` selected (and only the chosen fields), every other stream unselected.
    func select(stream: String, in streams: [Value]) throws -> [Value] {
        try streams.map { entry in
            guard case .object(var e) = entry else { return entry }
            let chosen = Self.streamName(entry) == stream
            e["selected"] = .bool(chosen)
            var metadata = e["metadata"]?.arrayValue ?? []
            if !metadata.contains(where: { $0["breadcrumb"] == [] }) { metadata.append(["breadcrumb": [], "metadata": [:]]) }
            let properties = entry["schema"]?["properties"]?.objectValue ?? [:]
            if chosen, let fields = config.fields {
                for f in fields where properties[f] == nil {
                    throw OnrampError("plugin.unknown_field", "stream \(stream) has no field '\(f)'; it has: "
                                      + properties.keys.joined(separator: ", "), at: "source.config.fields")
                }
                for f in properties.keys where !metadata.contains(where: { $0["breadcrumb"] == ["properties", .string(f)] }) {
                    metadata.append(["breadcrumb": ["properties", .string(f)], "metadata": [:]])
                }
            }
            e["metadata"] = .array(try metadata.map { m in try mark(m, chosen: chosen) })
            return .object(e)
        }
    }

    private func mark(_ m: Value, chosen: Bool) throws -> Value {
        guard case .object(var o) = m, case .object(var md) = o["metadata"] ?? [:] else { return m }
        let crumb = o["breadcrumb"]?.arrayValue ?? []
        if crumb.isEmpty {
            md["selected"] = .bool(chosen)
            if chosen {
                if let incremental = config.incremental {
                    md["replication-method"] = "INCREMENTAL"
                    if let key = incremental["replication_key"]?.stringValue {
                        md["replication-key"] = .string(key)
                    } else if md["replication-key"] == nil {
                        guard let key = md["valid-replication-keys"]?.arrayValue?.first else {
                            throw OnrampError("plugin.no_replication_key", "the tap names no replication key for this "
                                              + "stream; give incremental.replication_key", at: "source.incremental")
                        }
                        md["replication-key"] = key
                    }
                } else {
                    md["replication-method"] = "FULL_TABLE"
                }
            }
        } else if crumb.count == 2, let field = crumb[1].stringValue {
            let wanted = config.fields.map { $0.contains(field) } ?? true
            md["selected"] = .bool(chosen && (wanted || md["inclusion"] == "automatic"))
        }
        o["metadata"] = .object(md)
        return .object(o)
    }

    static func streamName(_ entry: Value) -> String? {
        entry["tap_stream_id"]?.stringValue ?? entry["stream"]?.stringValue
    }

    static func rootMetadata(_ entry: Value) -> Value? {
        entry["metadata"]?.arrayValue?.first { $0["breadcrumb"] == [] }?["metadata"]
    }

    static func keys(_ entry: Value) -> [String] {
        (entry["key_properties"]?.arrayValue ?? rootMetadata(entry)?["table-key-properties"]?.arrayValue ?? [])
            .compactMap(\.stringValue)
    }
}

/// Singer's messages during a read: RECORDs of the selected stream, STATE values; SCHEMA updates the key fields,
/// ACTIVATE_VERSION and BATCH are ignored; records of other streams are counted and logged, never passed on.
struct SingerInterpreter: ReadInterpreter {
    let plugin: String
    let stream: String
    /// What RECORDs of the chosen stream may call it: its `tap_stream_id` and its `stream`.
    let names: Set<String>
    var keys: [String]
    let logger: Logger
    var ignored = IgnoredStreams()
    let needsDone = false
    let commitRule = StateBatcher.Rule.deferred

    init(plugin: String, stream: String, names: Set<String>, keys: [String], logger: Logger) {
        self.plugin = plugin
        self.stream = stream
        self.names = names
        self.keys = keys
        self.logger = logger
    }

    func endFailure() -> OnrampError? { ignored.failure(plugin: plugin, stream: stream) }

    mutating func interpret(_ m: Value, line: Int) -> [ReadEvent] {
        switch m["type"]?.stringValue ?? "" {
        case "RECORD":
            guard let s = m["stream"]?.stringValue, case .object? = m["record"] else {
                return [.error(PluginMessage.error(line, "plugin.bad_message",
                                                   "a RECORD needs a \"stream\" and a \"record\" object"))]
            }
            guard names.contains(s) else {
                ignored.add(s, plugin: plugin, reading: stream, logger: logger)
                return []
            }
            ignored.own += 1
            let record = m["record"]!
            let position = SourcePosition(file: "\(plugin)/\(stream)", line: line, key: SchemaFields.key(record, keys))
            return [.record(Record(record, position: position))]
        case "STATE":
            // A tap that sent only other streams' records so far has not read this one: its state is not trusted.
            if ignored.own == 0 && ignored.count > 0 { return [] }
            guard let value = m["value"] else {
                return [.error(PluginMessage.error(line, "plugin.bad_message", "a STATE needs a \"value\""))]
            }
            return [.state(value)]
        case "SCHEMA":
            if let s = m["stream"]?.stringValue, names.contains(s), let k = m["key_properties"]?.arrayValue {
                keys = k.compactMap(\.stringValue)
            }
            return []
        case "ACTIVATE_VERSION", "BATCH":
            return []
        case let other:
            return [.error(PluginMessage.error(line, "plugin.bad_message", "unknown Singer message type \"\(PluginMessage.text(.string(other)) ?? "")\""))]
        }
    }
}
