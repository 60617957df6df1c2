import OnrampConnectorKit
import OnrampCore

/// A file format every file source shares (local area, object stores, HTTPS downloads): its options and
/// a reader that turns files into batches. Bad rows are error records with file and line; the rest go on.
public enum FileFormat: Sendable {
    case csv(CSVOptions)
    case ndjson
    /// An array of records, or the records at `recordsPath` (keys) inside each document.
    case json(recordsPath: [String])

    /// The format names a `format` config field accepts.
    public static let names = ["csv", "ndjson", "json"]

    /// The JSON Schema properties of a format's options (merged into a file source's config schema).
    public static func optionProperties(_ name: String) -> Value.Object {
        switch name {
        case "csv": CSVOptions.schemaProperties
        case "json": ["records_path": ["type": "string", "title": "Records path",
                                       "description": "Dot-separated path to the records array inside each document",
                                       "examples": ["data.orders"]]]
        default: [:]
        }
    }

    /// The format `name` with its options read from a validated config (`path` names the config in errors).
    public static func make(_ name: String, options config: Value, at path: String) throws -> FileFormat {
        switch name {
        case "csv": return .csv(try CSVOptions(config: config, at: path))
        case "ndjson": return .ndjson
        case "json":
            return .json(recordsPath: config["records_path"]?.stringValue.map { $0.split(separator: ".").map(String.init) } ?? [])
        default:
            throw OnrampError("config.enum", "unknown format '\(name)'; known: \(names.joined(separator: ", "))", at: path + ".format")
        }
    }

    /// Reads `files` in order. With `checkpointing`, the batch that ends a file carries the checkpoint after it.
    public func reader(files: [FileInput], batchSize: Int, checkpoint: Value? = nil,
                       checkpointing: FileCheckpointing? = nil) -> any BatchReader {
        let progress = FileProgress(checkpoint: checkpoint, checkpointing: checkpointing)
        switch self {
        case .csv(let options): return CSVReader(options: options, files: files, progress: progress, batchSize: batchSize)
        case .ndjson: return JSONReader(format: .ndjson, files: files, progress: progress, batchSize: batchSize)
        case .json(let path): return JSONReader(format: .document(path: path), files: files, progress: progress, batchSize: batchSize)
        }
    }
}

/// The checkpoint a file read carries forward as files finish.
struct FileProgress: Sendable {
    var checkpoint: Value?
    let checkpointing: FileCheckpointing?

    /// Records `file` as read; the new checkpoint, or nil for a full read.
    mutating func finished(_ file: FileInput) -> Value? {
        guard let checkpointing else { return nil }
        checkpoint = checkpointing(checkpoint, file)
        return checkpoint
    }

    var isIncremental: Bool { checkpointing != nil }
}
