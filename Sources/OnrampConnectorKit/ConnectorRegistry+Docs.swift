import OnrampCore

extension ConnectorRegistry {
    /// The config table of a connector's section in docs/connectors.md, generated from its spec so the
    /// two cannot drift: one row per property (nested objects as `parent.child`).
    /// `name` is a source's (or, when no source has it, a destination's); `destination/NAME` the destination's.
    public func configTable(_ name: String) -> String? {
        let destinationOnly = name.hasPrefix("destination/")
        let name = destinationOnly ? String(name.dropFirst("destination/".count)) : name
        let source = destinationOnly ? nil : sources[name]
        guard let schema = source?.configSchema ?? destinations[name]?.configSchema else { return nil }
        return Self.configTable(schema, incremental: source?.incrementalSchema)
    }

    /// The table of any config schema (a step's too): one row per property, nested objects as `parent.child`.
    public static func configTable(_ schema: Value, incremental: Value? = nil) -> String {
        var lines = ["| Field | Type | Required | Default | Description |", "|---|---|---|---|---|"]
        rows(schema, prefix: "", into: &lines)
        if let incremental { rows(incremental, prefix: "incremental.", into: &lines, required: false) }
        if schema["properties"] == nil, let t = schema["type"] {
            let description = [schema["title"]?.stringValue, schema["description"]?.stringValue].compactMap { $0 }
                .joined(separator: ": ")
            lines.append("| (the step's value) | \(typeText(t)) | yes |  | \(description) |")
        }
        return lines.joined(separator: "\n")
    }

    private static func rows(_ schema: Value, prefix: String, into lines: inout [String], required parentRequired: Bool = true) {
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        for (key, property) in schema["properties"]?.objectValue ?? [:] {
            let type = property["type"].map(typeText) ?? "any"
            var description = [property["title"]?.stringValue, property["description"]?.stringValue].compactMap { $0 }
                .joined(separator: ": ")
            if !description.isEmpty, !description.hasSuffix(".") { description += "." }
            if let choices = property["enum"]?.arrayValue { description += " One of " + choices.map { "`\(JSONWriter.string($0))`" }.joined(separator: ", ") + "." }
            if property["x-secret"] == .bool(true) { description += " Secret: write `${secret:NAME}`." }
            let example = property["examples"]?.arrayValue?.first.map { " Example: `\(JSONWriter.string($0))`." } ?? ""
            let defaultText = property["default"].map { "`\(JSONWriter.string($0))`" } ?? ""
            let cells = ["`\(prefix)\(key)`", type, required.contains(key) && parentRequired ? "yes" : "", defaultText,
                         (description + example).replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")]
            lines.append("| " + cells.joined(separator: " | ") + " |")
            if property["type"] == "object", property["properties"] != nil {
                rows(property, prefix: "\(prefix)\(key).", into: &lines, required: required.contains(key) && parentRequired)
            } else if property["type"] == "array", let items = property["items"], items["properties"] != nil {
                rows(items, prefix: "\(prefix)\(key)[].", into: &lines, required: required.contains(key) && parentRequired)
            }
        }
    }

    private static func typeText(_ t: Value) -> String {
        t.arrayValue?.compactMap(\.stringValue).joined(separator: " or ") ?? t.stringValue ?? "any"
    }

    /// `text` (docs/connectors.md) with every `<!-- config:NAME -->…<!-- /config -->` region replaced by
    /// the connector's current table (or, for a name in `extra`, such as `step/lookup`, that text).
    public func updatingConfigTables(in text: String, extra: [String: String] = [:]) -> String {
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "<!-- config:") {
            out += rest[..<start.lowerBound]
            guard let nameEnd = rest[start.upperBound...].range(of: " -->"),
                  let end = rest[nameEnd.upperBound...].range(of: "<!-- /config -->") else { break }
            let name = String(rest[start.upperBound..<nameEnd.lowerBound])
            let table = extra[name] ?? configTable(name) ?? "(no connector named \(name))"
            out += "<!-- config:\(name) -->\n\(table)\n<!-- /config -->"
            rest = rest[end.upperBound...]
        }
        return out + rest
    }
}
