import Foundation
import OnrampConnectorKit
import OnrampCore

/// A file format every file source shares (local area, object stores, HTTPS downloads): its options and
/// a reader that turns files into batches. Bad rows are error records with file and line; the rest go on.
/// Every format reads gzip files (`compression`), decompressed as a stream with a size cap.
public struct FileFormat: Sendable {
    enum Kind: Sendable {
        case csv(CSVOptions)
        case ndjson
        /// An array of records, or the records at `recordsPath` (keys) inside each document.
        case json(recordsPath: [String])
        case xml(XMLOptions)
        case xlsx(XLSXOptions)
    }

    let kind: Kind
    public var input: InputOptions

    init(_ kind: Kind, input: InputOptions = InputOptions()) {
        self.kind = kind
        self.input = input
    }

    /// The format names a `format` config field accepts.
    public static let names = ["csv", "ndjson", "json", "xml", "xlsx"]

    /// The JSON Schema properties of a format's options (merged into a file source's config schema).
    public static func optionProperties(_ name: String) -> Value.Object {
        var properties: Value.Object
        switch name {
        case "csv": properties = CSVOptions.schemaProperties
        case "json": properties = ["records_path": ["type": "string", "title": "Records path",
                                                    "description": "Dot-separated path to the records array inside each document",
                                                    "examples": ["data.orders"]]]
        case "xml": properties = XMLOptions.schemaProperties
        case "xlsx": properties = XLSXOptions.schemaProperties
        default: properties = [:]
        }
        properties["compression"] = InputOptions.compressionProperty
        properties["max_uncompressed_mb"] = InputOptions.limitProperty
        return properties
    }

    /// The format `name` with its options read from a validated config (`path` names the config in errors).
    public static func make(_ name: String, options config: Value, at path: String) throws -> FileFormat {
        let input = InputOptions(config: config)
        switch name {
        case "csv": return FileFormat(.csv(try CSVOptions(config: config, at: path)), input: input)
        case "ndjson": return FileFormat(.ndjson, input: input)
        case "json":
            let recordsPath = config["records_path"]?.stringValue.map { $0.split(separator: ".").map(String.init) } ?? []
            return FileFormat(.json(recordsPath: recordsPath), input: input)
        case "xml": return FileFormat(.xml(try XMLOptions(config: config, at: path)), input: input)
        case "xlsx": return FileFormat(.xlsx(try XLSXOptions(config: config, at: path)), input: input)
        default:
            throw OnrampError("config.enum", "unknown format '\(name)'; known: \(names.joined(separator: ", "))", at: path + ".format")
        }
    }

    /// Reads `files` in order. With `checkpointing`, the batch that ends a file carries the checkpoint after it.
    public func reader(files: [FileInput], batchSize: Int, checkpoint: Value? = nil,
                       checkpointing: FileCheckpointing? = nil) -> any BatchReader {
        let progress = FileProgress(checkpoint: checkpoint, checkpointing: checkpointing)
        let counter = ReadCounter()
        var input = input
        input.counter = counter
        let total = files.reduce(Int64(0)) { sum, file in
            sum + (((try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? NSNumber)?.int64Value ?? 0)
        }
        return ProgressReader(inner: reader(files: files, batchSize: batchSize, input: input, progress: progress),
                              counter: counter, total: total)
    }

    private func reader(files: [FileInput], batchSize: Int, input: InputOptions, progress: FileProgress) -> any BatchReader {
        switch kind {
        case .csv(let options):
            return CSVReader(options: options, input: input, files: files, progress: progress, batchSize: batchSize)
        case .ndjson: return JSONReader(format: .ndjson, input: input, files: files, progress: progress, batchSize: batchSize)
        case .json(let path):
            return JSONReader(format: .document(path: path), input: input, files: files, progress: progress, batchSize: batchSize)
        case .xml(let options):
            return XMLReader(options: options, input: input, files: files, progress: progress, batchSize: batchSize)
        case .xlsx(let options):
            return XLSXReader(options: options, input: input, files: files, progress: progress, batchSize: batchSize)
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
