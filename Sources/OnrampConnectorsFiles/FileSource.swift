import OnrampConnectorKit
import OnrampCore
import OnrampFileFormats

/// `csv`, `ndjson`, `json`, `xml` and `xlsx` (each also gzipped): files in the run's file area (a path or a glob) in one format, all of
/// them or (`new_files`) each new or changed file once.
struct FileSource: Source {
    let location: FileSet.Location
    let format: FileFormat
    let incremental: Bool

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        var files = try FileSet.list(location, allowNone: incremental)
        if incremental { files = FileSet.pending(files, checkpoint: checkpoint) }
        return format.reader(files: files, batchSize: batchSize, checkpoint: incremental ? checkpoint : nil,
                             checkpointing: incremental ? FileSet.checkpoint : nil)
    }

    func check() async throws -> ConnectorCheck {
        let files = try FileSet.list(location, allowNone: incremental)
        return ConnectorCheck(message: "\(files.count) file\(files.count == 1 ? "" : "s") match '\(location.configured)'")
    }

    func discover() async throws -> [DiscoveredStream] {
        try await DiscoveredStream.infer(from: self, name: location.configured, kind: .file)
    }

    static let incrementalSchema: Value = [
        "type": "object", "additionalProperties": false, "required": ["mode"],
        "properties": ["mode": ["type": "string", "enum": ["new_files"], "title": "Mode",
                                "description": "Read each new or changed file once"]],
    ]

    static let pathProperty: Value = [
        "type": "string", "minLength": 1, "title": "Path",
        "description": "File path or glob (*, ?), relative to the pipeline file (CLI) or the tenant's file area (server)",
        "examples": ["orders.csv", "exports/*.csv"],
    ]

    /// The source for one format: `path` plus the format's options.
    static func spec(_ format: String, summary: String) -> SourceSpec {
        var properties: Value.Object = ["path": pathProperty]
        for (k, v) in FileFormat.optionProperties(format) { properties[k] = v }
        return SourceSpec(
            name: format, summary: summary,
            configSchema: ["type": "object", "additionalProperties": false, "required": ["path"], "properties": .object(properties)],
            incrementalSchema: incrementalSchema,
            build: { config, incremental, resources in
                FileSource(location: try FileSet.Location(config["path"]!.stringValue!, in: resources),
                           format: try FileFormat.make(format, options: config, at: "source.config"), incremental: incremental != nil)
            })
    }
}
