import OnrampConnectorKit
import OnrampCore

/// A plugin source's config as a pipeline gives it: which stream, which fields, and the plugin's own `settings`.
struct PluginSourceConfig: Sendable {
    var stream: String?
    var fields: [String]?
    var settings: Value
    /// The `incremental` block (nil: a full load).
    var incremental: Value?

    init(_ config: Value, incremental: Value?) {
        stream = config["stream"]?.stringValue
        fields = config["fields"]?.arrayValue?.compactMap(\.stringValue)
        settings = config["settings"] ?? [:]
        self.incremental = incremental
    }

    /// The wrapper schema: `stream`, `fields`, and `settings` validated against the plugin's own schema.
    static func schema(settings: Value?) -> Value {
        [
            "type": "object", "additionalProperties": false,
            "properties": [
                "stream": ["type": "string", "title": "Stream", "minLength": 1,
                           "description": "The stream to read (discover lists them); may be left out when there is one."],
                "fields": ["type": "array", "items": ["type": "string"], "title": "Fields",
                           "description": "The fields each record keeps; every field when left out."],
                "settings": settingsSchema(settings),
            ],
        ]
    }

    /// A destination's or a step's config: only `settings`, validated against the plugin's schema.
    static func settingsOnlySchema(_ settings: Value?) -> Value {
        ["type": "object", "additionalProperties": false, "properties": ["settings": settingsSchema(settings)]]
    }

    static func settingsSchema(_ settings: Value?) -> Value {
        guard case .object(var s)? = settings else {
            return ["type": "object", "title": "Settings", "default": [:],
                    "description": "The plugin's own configuration (it declares no schema)."]
        }
        s["type"] = "object"
        if s["title"] == nil { s["title"] = "Settings" }
        if s["description"] == nil { s["description"] = "The plugin's own configuration." }
        if s["default"] == nil && (s["required"]?.arrayValue ?? []).isEmpty { s["default"] = [:] }
        return .object(s)
    }

    /// The string values of `settings` fields the schema marks secret, for redacting logs.
    static func secrets(in value: Value, schema: Value?) -> [String] {
        switch value {
        case .string(let s):
            return JSONSchema.isSecret(schema) ? [s] : []
        case .object(let o):
            return o.flatMap { k, v in secrets(in: v, schema: JSONSchema.property(k, of: schema)) }
        case .array(let a):
            return a.flatMap { secrets(in: $0, schema: schema?["items"]) }
        default:
            return []
        }
    }

    /// A stream named `stream`, or the only one; an error naming the choices otherwise.
    func pick<S>(_ streams: [S], name: (S) -> String, plugin: String, alias: (S) -> String? = { _ in nil }) throws -> S {
        if let stream {
            guard let s = streams.first(where: { name($0) == stream }) ?? streams.first(where: { alias($0) == stream }) else {
                throw OnrampError("plugin.unknown_stream", "plugin \(plugin) has no stream '\(stream)'; it has: "
                                  + streams.map(name).joined(separator: ", "), at: "source.config.stream")
            }
            return s
        }
        guard streams.count == 1 else {
            throw OnrampError("plugin.stream_required", "plugin \(plugin) offers \(streams.count) streams; choose one: "
                              + streams.map(name).joined(separator: ", "), at: "source.config.stream")
        }
        return streams[0]
    }
}

/// Discovered fields from a JSON Schema object (Singer SCHEMA, Airbyte json_schema): its properties in order.
enum SchemaFields {
    static func fields(_ schema: Value?) -> [DiscoveredStream.Field] {
        (schema?["properties"]?.objectValue ?? [:]).map { name, p in
            var types = p["type"]?.arrayValue?.compactMap(\.stringValue) ?? p["type"]?.stringValue.map { [$0] } ?? []
            if types.isEmpty, let any = p["anyOf"]?.arrayValue ?? p["oneOf"]?.arrayValue {
                types = any.compactMap { $0["type"]?.stringValue }
            }
            let nullable = types.contains("null") || types.isEmpty
            let concrete = types.filter { $0 != "null" }
            let format = p["format"]?.stringValue
            let source = (concrete.isEmpty ? "any" : concrete.joined(separator: "|")) + (format.map { "(\($0))" } ?? "")
            let type = concrete.count == 1 ? concrete[0] : (concrete.isEmpty ? "string" : concrete.joined(separator: "|"))
            return DiscoveredStream.Field(name: name, type: type, sourceType: source, nullable: nullable)
        }
    }

    /// "id=42" (or "a=1, b=x") from a record's key fields, for its position.
    static func key(_ record: Value, _ keys: [String]) -> String? {
        guard !keys.isEmpty else { return nil }
        let parts = keys.compactMap { k -> String? in
            guard let v = record[k], v != .null else { return nil }
            return "\(k)=\(v.stringValue ?? JSONWriter.string(v))"
        }
        return parts.count == keys.count ? parts.joined(separator: ", ") : nil
    }
}
