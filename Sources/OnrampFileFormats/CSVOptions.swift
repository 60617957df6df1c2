import OnrampCore

/// RFC 4180 options: delimiter, quote, escape, header or given columns, encoding, empty rows, line breaks in fields.
public struct CSVOptions: Sendable {
    public var delimiter: UInt8 = UInt8(ascii: ",")
    public var quote: UInt8 = UInt8(ascii: "\"")
    public var escape: UInt8?
    public var header = true
    public var columns: [String]?
    var encoding = TextEncoding.utf8
    public var skipEmpty = true
    public var multiline = false

    public init() {}

    /// Options from a validated config holding `schemaProperties` (`path` names the config in errors).
    public init(config: Value, at path: String) throws {
        func byte(_ key: String) throws -> UInt8? {
            guard let s = config[key]?.stringValue else { return nil }
            let t = s == "\\t" ? "\t" : s
            guard t.utf8.count == 1, let b = t.utf8.first, b < 0x80 else {
                throw OnrampError("config.char", "must be a single ASCII character", at: "\(path).\(key)")
            }
            return b
        }
        delimiter = try byte("delimiter") ?? delimiter
        quote = try byte("quote") ?? quote
        escape = try byte("escape")
        header = config["header"]?.boolValue ?? true
        columns = config["columns"]?.arrayValue?.compactMap(\.stringValue)
        encoding = TextEncoding(rawValue: config["encoding"]?.stringValue ?? "utf-8") ?? .utf8
        skipEmpty = config["skip_empty_rows"]?.boolValue ?? true
        multiline = config["multiline_fields"]?.boolValue ?? false
    }

    static let schemaProperties: Value.Object = [
        "delimiter": ["type": "string", "default": ",", "title": "Delimiter", "description": "One character; \\t for tab",
                      "examples": [";", "\\t"]],
        "quote": ["type": "string", "default": "\"", "title": "Quote character"],
        "escape": ["type": "string", "title": "Escape character", "description": "Escape character inside quotes (default: a doubled quote)"],
        "header": ["type": "boolean", "default": true, "title": "Header row", "description": "The first row names the columns"],
        "columns": ["type": "array", "items": ["type": "string"], "title": "Columns",
                    "description": "Column names when the file has no header"],
        "encoding": ["type": "string", "enum": ["utf-8", "windows-1252", "iso-8859-1"], "default": "utf-8", "title": "Encoding"],
        "skip_empty_rows": ["type": "boolean", "default": true, "title": "Skip empty rows"],
        "multiline_fields": ["type": "boolean", "default": false, "title": "Line breaks in fields",
                             "description": "Allow line breaks inside quoted fields"],
    ]
}
