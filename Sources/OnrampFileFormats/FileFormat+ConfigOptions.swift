import OnrampConnectorKit
import OnrampCore

extension FileFormat {
    /// Every format's option properties, for a source whose config names its format in a `format` field
    /// (a later format's definition of a shared name wins).
    public static var allOptionProperties: Value.Object {
        var out: Value.Object = [:]
        for name in names {
            for (k, v) in optionProperties(name) { out[k] = v }
        }
        return out
    }

    /// The format `name` with its options taken from `config` and validated against that format's own
    /// properties (defaults applied). An option of another format is `config.unknown_key` at `path.KEY`
    /// (unless it holds that option's default, which the config schema's validation fills in).
    public static func make(validating name: String, config: Value, at path: String) throws -> FileFormat {
        let own = optionProperties(name)
        let all = allOptionProperties
        var options: Value.Object = [:]
        for (k, v) in config.objectValue ?? [:] {
            if own[k] != nil {
                options[k] = v
            } else if let other = all[k], other["default"] != v {
                let known = own.keys.sorted().joined(separator: ", ")
                throw OnrampError("config.unknown_key", "is not an option of format \(name); its options: "
                                  + (known.isEmpty ? "none" : known), at: "\(path).\(k)")
            }
        }
        let validated = try JSONSchema.validate(.object(options), against: ["type": "object", "properties": .object(own)],
                                                at: path)
        return try make(name, options: validated, at: path)
    }
}
