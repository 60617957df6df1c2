import OnrampCore

/// Options every format shares: gzip and the cap on how large a decompressed file (or zip entry) may get.
public struct InputOptions: Sendable {
    public var compression = Compression.auto
    public var maxUncompressedBytes: Int64 = 4 << 30
    /// Counts the bytes taken from the files, for the read's progress (set by `FileFormat.reader`).
    var counter: ReadCounter?

    public init() {}

    /// Options from a validated config holding `schemaProperties`.
    public init(config: Value) {
        compression = config["compression"]?.stringValue.flatMap(Compression.init(rawValue:)) ?? .auto
        if let mb = config["max_uncompressed_mb"]?.numberValue { maxUncompressedBytes = Int64(mb * 1_048_576) }
    }

    static let compressionProperty: Value = [
        "type": "string", "enum": ["auto", "gzip", "none"], "default": "auto", "title": "Compression",
        "description": "gzip: every file is gunzipped; auto: files whose name ends in .gz are", "examples": ["gzip"],
    ]

    static let limitProperty: Value = [
        "type": "number", "minimum": 1, "default": 4096, "title": "Decompressed size limit (MiB)",
        "description": "A file that decompresses to more is an error (gzip and zip bombs)", "examples": [16384],
    ]
}
