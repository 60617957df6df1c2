import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore
import OnrampFileFormats

/// `s3`: the objects under a prefix (optionally matching a glob on the key) in one file format, all of
/// them or (`new_objects`) each new or changed object once. Objects are downloaded one at a time to a
/// scratch folder and parsed there; positions name `s3://bucket/key`.
struct S3Source: Source {
    struct Config: Decodable {
        struct AfterRead: Decodable, Sendable {
            var moveToPrefix: String?
            var tag: [String: String]?
        }
        var prefix: String
        var glob: String?
        var format: String
        var maxKeys: Int
        var maxObjectBytes: Int64
        var afterRead: AfterRead?
    }

    let client: S3Client
    let prefix: String
    let glob: String?
    let format: FileFormat
    let incremental: Bool
    let maxKeys: Int
    let maxObjectBytes: Int64
    var afterRead: Config.AfterRead?
    let logger: Logger

    /// The listing prefix: the configured one, or the glob's text before its first wildcard.
    var listPrefix: String {
        guard prefix.isEmpty, let glob else { return prefix }
        return String(glob.prefix { !"*?[".contains($0) })
    }

    /// What the config names, as messages and stream names show it.
    var pattern: String { client.uri(glob ?? prefix) }

    /// The objects to read, in key order (folder markers and non-matching keys left out).
    func matching() async throws -> [S3Client.Object] {
        try await client.listAll(prefix: listPrefix, maxKeys: maxKeys).filter { object in
            !object.key.hasSuffix("/") && object.key.hasPrefix(prefix) && (glob.map { S3Glob.matches($0, object.key) } ?? true)
        }
    }

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        let objects = try await matching()
        guard incremental else {
            if objects.isEmpty {
                throw OnrampError("source.not_found", "no object matches \(pattern)",
                                  at: glob == nil ? "source.config.prefix" : "source.config.glob")
            }
            return S3Reader(client: client, format: format, objects: objects, batchSize: batchSize, checkpoint: nil,
                            incremental: false, maxObjectBytes: maxObjectBytes, afterRead: afterRead, logger: logger,
                            listPrefix: listPrefix)
        }
        let seen = checkpoint?["objects"]?.objectValue ?? [:]
        // Entries for objects no longer listed (deleted, moved away) drop out of the next checkpoint.
        var kept: Value.Object = [:]
        for object in objects { if let f = seen[object.key] { kept[object.key] = f } }
        let pending = objects.filter { seen[$0.key]?.stringValue != S3Reader.fingerprint($0) }
        return S3Reader(client: client, format: format, objects: pending, batchSize: batchSize,
                        checkpoint: .object(["objects": .object(kept)]), incremental: true,
                        maxObjectBytes: maxObjectBytes, afterRead: afterRead, logger: logger,
                        listPrefix: listPrefix, announce: kept.count != seen.count)
    }

    func check() async throws -> ConnectorCheck {
        let page = try await client.list(prefix: listPrefix, continuationToken: nil, maxKeys: maxKeys)
        let count = page.objects.filter { o in !o.key.hasSuffix("/") && (glob.map { S3Glob.matches($0, o.key) } ?? true) }.count
        let more = page.nextToken == nil ? "" : " in the first \(maxKeys) keys"
        return ConnectorCheck(message: "bucket \(client.bucket) reachable; \(count) object\(count == 1 ? "" : "s") "
            + "match \(pattern)\(more)")
    }

    func discover() async throws -> [DiscoveredStream] {
        var probe = self
        probe.afterRead = nil
        return try await DiscoveredStream.infer(from: probe, name: pattern, kind: .file)
    }

    static let incrementalSchema: Value = [
        "type": "object", "additionalProperties": false, "required": ["mode"],
        "properties": ["mode": ["type": "string", "enum": ["new_objects"], "title": "Mode",
                                "description": "Read each new or changed object (by ETag and size) once"]],
    ]

    static var configSchema: Value {
        var properties = S3Connection.properties
        properties["prefix"] = ["type": "string", "default": "", "title": "Prefix",
                                "description": "Read the objects whose key starts with this", "examples": ["exports/"]]
        properties["glob"] = ["type": "string", "minLength": 1, "title": "Glob",
                              "description": .string("Only keys matching this pattern (* and ? stay within one /-separated "
                                  + "segment, ** crosses them)"), "examples": ["exports/*.csv", "exports/**/orders-*.ndjson"]]
        properties["format"] = ["type": "string", "enum": .array(FileFormat.names.map(Value.string)), "title": "Format",
                                "description": "How the objects are parsed (the format's options sit beside it)",
                                "examples": ["csv"]]
        properties["max_keys"] = ["type": "integer", "minimum": 1, "maximum": 1000, "default": 1000,
                                  "title": "Keys per listing page", "description": "ListObjectsV2 page size"]
        properties["max_object_bytes"] = ["type": "integer", "minimum": 1, "default": 10_737_418_240,
                                          "title": "Largest object", "description": "Bigger objects are an error record"]
        properties["after_read"] = [
            "type": "object", "additionalProperties": false, "title": "After reading",
            "description": "What to do with each object once its records were delivered",
            "properties": [
                "move_to_prefix": ["type": "string", "minLength": 1, "title": "Move to prefix",
                                   "description": .string("Copy the object under this prefix (keeping its key "
                                       + "after the prefix read), "
                                       + "then delete it"), "examples": ["processed/"]],
                "tag": ["type": "object", "title": "Tag", "description": "Set these tags on the object",
                        "examples": [["onramp": "processed"]]],
            ],
        ]
        for (key, value) in FileFormat.allOptionProperties where properties[key] == nil { properties[key] = value }
        return ["type": "object", "additionalProperties": false, "required": ["bucket", "format"],
                "properties": .object(properties)]
    }

    static var spec: SourceSpec {
        SourceSpec(
            name: "s3",
            summary: "Objects in an S3 (or S3-compatible) bucket, in one file format; incremental by ETag.",
            configSchema: configSchema, incrementalSchema: incrementalSchema,
            build: { config, incremental, resources in
                let field = "source.config"
                let connection = try ConnectorConfig.decode(S3Connection.self, from: config, at: field)
                let c = try ConnectorConfig.decode(Config.self, from: config, at: field)
                let format = try FileFormat.make(validating: c.format, config: config, at: field)
                if let tags = c.afterRead?.tag, tags.isEmpty || tags.count > 10 {
                    throw OnrampError("config.range", "give 1 to 10 tags", at: "\(field).after_read.tag")
                }
                let listed = c.prefix.isEmpty ? c.glob.map { String($0.prefix { !"*?[".contains($0) }) } ?? "" : c.prefix
                if let target = c.afterRead?.moveToPrefix, target.hasPrefix(listed) || listed.hasPrefix(target) {
                    throw OnrampError("config.invalid",
                                      "must not overlap the prefix read, '\(listed)' (moved objects would be read again)",
                                      at: "\(field).after_read.move_to_prefix")
                }
                return S3Source(client: try connection.client(resources, field: field), prefix: c.prefix, glob: c.glob,
                                format: format, incremental: incremental != nil, maxKeys: c.maxKeys,
                                maxObjectBytes: c.maxObjectBytes, afterRead: c.afterRead, logger: resources.logger)
            })
    }
}
