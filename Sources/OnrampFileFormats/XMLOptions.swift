import OnrampCore

/// Where an XML file's records are and how elements map to fields (the rule is in docs/connectors.md).
public struct XMLOptions: Sendable {
    /// Element names from the root down to the record element; `*` matches any name.
    public var recordsPath: [String] = ["*", "*"]
    /// Child paths relative to the record element (`Lines/Line`) that are arrays even when they occur once.
    public var arrays: Set<String> = []
    public var maxDepth = 200
    public var maxRecordBytes = 16 << 20

    public init() {}

    /// Options from a validated config holding `schemaProperties` (`path` names the config in errors).
    public init(config: Value, at path: String) throws {
        if let p = config["records_path"]?.stringValue {
            recordsPath = try Self.steps(p, at: path + ".records_path")
        }
        for (i, a) in (config["arrays"]?.arrayValue ?? []).enumerated() {
            guard let s = a.stringValue else { continue }
            arrays.insert(try Self.steps(s, at: "\(path).arrays[\(i)]").joined(separator: "/"))
        }
    }

    private static func steps(_ text: String, at path: String) throws -> [String] {
        let steps = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !steps.isEmpty, steps.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
            throw OnrampError("config.path", "'\(text)' is not a path of element names separated by '/'", at: path)
        }
        return steps
    }

    static let schemaProperties: Value.Object = [
        "records_path": ["type": "string", "minLength": 1, "default": "*/*", "title": "Records path",
                         "description": "Element names from the root to each record, separated by '/'; * matches any name; prefixes as written",
                         "examples": ["Orders/Order", "*/Order", "ns:Export/ns:Invoice"]],
        "arrays": ["type": "array", "items": ["type": "string"], "title": "Always arrays",
                   "description": "Child element paths, relative to the record element, that are arrays even when they occur once",
                   "examples": [["Lines/Line", "Contact"]]],
    ]
}
