import Foundation
import OnrampConnectorKit
import OnrampCore

/// A plugin's `plugin.json`: what it is, how to start it, what environment it sees and its limits.
public struct PluginManifest: Sendable, Equatable {
    public enum WireProtocol: String, Sendable, Codable, CaseIterable { case singer, airbyte, onramp }

    public struct Limits: Sendable, Codable, Equatable {
        /// Address space (`RLIMIT_AS`) in MiB.
        public var memoryMb = 2048
        /// Wall clock for a read or a write; check, discover and spec get at most 120 s of it.
        public var timeoutSeconds = 3600
        /// The longest the plugin may print nothing on stdout while Onramp waits for it.
        public var idleSeconds = 300
        /// The longest stdout line (one message) accepted.
        public var maxLineBytes = 16 << 20

        public init() {}

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            memoryMb = try c.decodeIfPresent(Int.self, forKey: .memoryMb) ?? memoryMb
            timeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .timeoutSeconds) ?? timeoutSeconds
            idleSeconds = try c.decodeIfPresent(Int.self, forKey: .idleSeconds) ?? idleSeconds
            maxLineBytes = try c.decodeIfPresent(Int.self, forKey: .maxLineBytes) ?? maxLineBytes
        }
    }

    struct Fields: Codable {
        var name: String
        var version: String
        var `protocol`: WireProtocol
        var summary: String
        var command: String
        var args: [String]
        var env: [String: String]
        var limits: Limits
        var network: Bool
        var catalogFlag: String
    }

    public var name: String
    public var version: String
    public var `protocol`: WireProtocol
    public var summary: String
    /// The program, relative to the plugin's directory or absolute.
    public var command: String
    public var args: [String]
    /// The only environment the plugin sees, besides PATH, HOME, TMPDIR and LANG.
    public var env: [String: String]
    public var limits: Limits
    /// false: the plugin runs in a network namespace of its own, with no network.
    public var network: Bool
    /// Singer taps: `--catalog` or `--properties` (older taps).
    public var catalogFlag: String
    /// The JSON Schema of the plugin's own config (`settings`): a Singer tap's, or what `spec` answered.
    public var configSchema: Value?
    /// Onramp protocol: the schema of the `incremental` block, and the destination's config schema.
    public var incrementalSchema: Value?
    public var destinationSchema: Value?
    /// Onramp protocol: the transform step's config schema (the plugin is then a step type too).
    public var transformSchema: Value?

    public init(name: String, version: String = "0", protocol: WireProtocol, summary: String = "", command: String,
                args: [String] = [], env: [String: String] = [:], limits: Limits = Limits(), network: Bool = true,
                catalogFlag: String = "--catalog") {
        self.name = name
        self.version = version
        self.protocol = `protocol`
        self.summary = summary
        self.command = command
        self.args = args
        self.env = env
        self.limits = limits
        self.network = network
        self.catalogFlag = catalogFlag
    }

    static let schema: Value = [
        "type": "object", "additionalProperties": false, "required": ["name", "protocol", "command"],
        "properties": [
            "name": ["type": "string", "minLength": 1], "version": ["type": "string", "default": "0"],
            "protocol": ["type": "string", "enum": ["singer", "airbyte", "onramp"]],
            "summary": ["type": "string", "default": ""], "command": ["type": "string", "minLength": 1],
            "args": ["type": "array", "items": ["type": "string"], "default": []],
            "env": ["type": "object", "default": [:]],
            "limits": ["type": "object", "additionalProperties": false, "default": [:], "properties": [
                "memory_mb": ["type": "integer", "minimum": 16, "maximum": 1048576, "default": 2048],
                "timeout_seconds": ["type": "integer", "minimum": 1, "maximum": 604800, "default": 3600],
                "idle_seconds": ["type": "integer", "minimum": 1, "maximum": 86400, "default": 300],
                "max_line_bytes": ["type": "integer", "minimum": 1024, "maximum": 1073741824, "default": 16777216],
            ]],
            "network": ["type": "boolean", "default": true],
            "catalog_flag": ["type": "string", "enum": ["--catalog", "--properties"], "default": "--catalog"],
            "config_schema": ["type": "object"], "incremental_schema": ["type": "object"],
            "destination_schema": ["type": "object"], "transform_schema": ["type": "object"],
        ],
    ]

    /// Builds a manifest from `plugin.json`'s value; errors name the field (`at` prefixes it).
    public init(_ value: Value, at path: String) throws {
        let checked = try JSONSchema.validate(value, against: Self.schema, at: path)
        for (k, v) in checked["env"]?.objectValue ?? [:] {
            guard v.stringValue != nil else { throw OnrampError("plugin.manifest", "must be a string", at: "\(path).env.\(k)") }
            guard Self.validVariable(k) else {
                throw OnrampError("plugin.manifest", "not an environment variable name (letters, digits, _)", at: "\(path).env.\(k)")
            }
        }
        let f = try ConnectorConfig.decode(Fields.self, from: checked, at: path)
        guard Self.validName(f.name) else {
            throw OnrampError("plugin.manifest", "must be lower-case letters, digits, _ or -, starting with a letter",
                              at: "\(path).name")
        }
        self.init(name: f.name, version: f.version, protocol: f.protocol, summary: f.summary, command: f.command,
                  args: f.args, env: f.env, limits: f.limits, network: f.network, catalogFlag: f.catalogFlag)
        configSchema = checked["config_schema"]
        incrementalSchema = checked["incremental_schema"]
        destinationSchema = checked["destination_schema"]
        transformSchema = checked["transform_schema"]
    }

    /// Names a connector may have: lower-case letters, digits, `_` and `-`, starting with a letter, at most 64.
    static func validName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.count <= 64 else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }

    static func validVariable(_ name: String) -> Bool {
        let word = { (c: Unicode.Scalar) in c == "_" || ("A"..."Z").contains(c) || ("a"..."z").contains(c) }
        guard let first = name.unicodeScalars.first, word(first) else { return false }
        return name.unicodeScalars.allSatisfy { word($0) || ("0"..."9").contains($0) }
    }

    /// Reads and checks `plugin.json` in `directory`; errors name the file and the field.
    public static func load(directory: String) throws -> PluginManifest {
        let path = directory + "/plugin.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OnrampError("plugin.manifest", "no plugin.json in \(directory)", at: path)
        }
        let value: Value
        do { value = try JSONParser.parse([UInt8](data)) } catch {
            throw OnrampError("plugin.manifest", "not JSON: \(error)", at: path)
        }
        return try PluginManifest(value, at: path)
    }

    /// The manifest as `plugin.json` text.
    public var value: Value {
        var o: Value.Object = [
            "name": .string(name), "version": .string(version), "protocol": .string(`protocol`.rawValue),
            "summary": .string(summary), "command": .string(command), "args": .array(args.map(Value.string)),
            "env": .object(Value.Object(uniqueKeysWithValues: env.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            "limits": ["memory_mb": .number(Double(limits.memoryMb)), "timeout_seconds": .number(Double(limits.timeoutSeconds)),
                       "idle_seconds": .number(Double(limits.idleSeconds)), "max_line_bytes": .number(Double(limits.maxLineBytes))],
            "network": .bool(network),
        ]
        if `protocol` == .singer { o["catalog_flag"] = .string(catalogFlag) }
        if let configSchema { o["config_schema"] = configSchema }
        if let incrementalSchema { o["incremental_schema"] = incrementalSchema }
        if let destinationSchema { o["destination_schema"] = destinationSchema }
        if let transformSchema { o["transform_schema"] = transformSchema }
        return .object(o)
    }

    /// The command's path: relative ones resolve in the plugin's directory.
    public func executable(in directory: String) -> String {
        command.hasPrefix("/") ? command : directory + "/" + command
    }
}
