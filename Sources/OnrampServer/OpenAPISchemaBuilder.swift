import OnrampCore

/// Short constructors for the document's JSON Schemas (OpenAPI 3.1: nullable is a `type` list).
enum SchemaBuilder {
    static let string: Value = ["type": "string"]
    static let integer: Value = ["type": "integer"]
    static let count: Value = ["type": "integer", "minimum": 0]
    static let number: Value = ["type": "number"]
    static let boolean: Value = ["type": "boolean"]
    static let dateTime: Value = ["type": "string", "format": "date-time"]
    /// Any JSON value (a record, a document).
    static let any: Value = [:]
    /// An object whose keys are not fixed (a pipeline document, a connector config).
    static let openObject: Value = ["type": "object"]
    static let nullableString = nullable(string)
    static let nullableDateTime = nullable(dateTime)

    static func ref(_ name: String) -> Value { ["$ref": .string("#/components/schemas/\(name)")] }

    /// `schema` or null: its `type` gains "null"; a `$ref` or a schema without a type becomes an `anyOf`.
    static func nullable(_ schema: Value) -> Value {
        guard case .object(var o) = schema, o["$ref"] == nil else { return ["anyOf": [schema, ["type": "null"]]] }
        switch o["type"] {
        case .string(let t)?: o["type"] = [.string(t), "null"]
        case .array(let ts)?: o["type"] = .array(ts + ["null"])
        default: return ["anyOf": [schema, ["type": "null"]]]
        }
        if case .array(let values)? = o["enum"] { o["enum"] = .array(values + [.null]) }
        return .object(o)
    }

    static func array(_ items: Value) -> Value { ["type": "array", "items": items] }

    static func enumeration(_ values: [String]) -> Value { ["type": "string", "enum": .array(values.map(Value.string))] }

    /// A closed object: every key of `properties` is required except those in `optional`; no other key.
    static func object(_ properties: Value.Object, optional: Set<String> = [], closed: Bool = true,
                       description: String? = nil) -> Value {
        var o: Value.Object = ["type": "object", "properties": .object(properties),
                               "required": .array(properties.keys.filter { !optional.contains($0) }.sorted().map(Value.string))]
        if closed { o["additionalProperties"] = false }
        if let description { o["description"] = .string(description) }
        return .object(o)
    }

    /// `base` (an `object(…)` schema) with more properties, required unless in `optional`.
    static func extending(_ base: Value, _ more: Value.Object, optional: Set<String> = []) -> Value {
        guard case .object(var o) = base, var properties = o["properties"]?.objectValue else { return base }
        var required = o["required"]?.arrayValue ?? []
        for (k, v) in more {
            properties[k] = v
            if !optional.contains(k) { required.append(.string(k)) }
        }
        o["properties"] = .object(properties)
        o["required"] = .array(required)
        return .object(o)
    }

    /// A page of a list: `{key: [item], next_cursor}`; `next_cursor` is null on the last page.
    static func page(_ key: String, _ item: Value, more: Value.Object = [:]) -> Value {
        var properties: Value.Object = [key: array(item), "next_cursor": ref("Cursor")]
        for (k, v) in more { properties[k] = v }
        return object(properties)
    }
}
