import Foundation
import OnrampCore

/// Strict JSON Schema checks of API bodies against the OpenAPI document's schemas: `$ref` into
/// `#/components/schemas`, `type` (one or a list), `enum`, `const`, `properties`, `required`,
/// `additionalProperties` (false or a schema), `items`, `anyOf`, `oneOf`, `minimum`, `maximum`, `minLength`,
/// `maxLength`, `minItems`, `maxItems`, `pattern` and `format: date-time`. Unlike the connector-config validator
/// (`JSONSchema`), nothing is coerced and no default is filled in: a body either has the documented shape or not.
struct OpenAPISchemaCheck {
    /// One place a body breaks its schema: the field path (`$` is the body) and what is wrong.
    struct Problem: Error, CustomStringConvertible, Equatable {
        let path: String
        let message: String
        var description: String { "\(path): \(message)" }
    }

    let components: Value.Object

    init(document: Value = OpenAPIDocument.document) {
        components = document["components"]?["schemas"]?.objectValue ?? [:]
    }

    /// The first problem of `value` against `schema`, nil when it conforms.
    func problem(_ value: Value, against schema: Value, at path: String = "$") -> Problem? {
        check(value, schema, path, depth: 0)
    }

    private func check(_ value: Value, _ schema: Value, _ path: String, depth: Int) -> Problem? {
        guard depth < 64 else { return Problem(path: path, message: "the schema nests too deeply") }
        guard case .object(let s) = schema else { return nil }
        func fail(_ message: String) -> Problem { Problem(path: path, message: message) }
        if let ref = s["$ref"]?.stringValue {
            let name = String(ref.dropFirst("#/components/schemas/".count))
            guard ref.hasPrefix("#/components/schemas/"), let target = components[name] else {
                return fail("unknown schema reference \(ref)")
            }
            return check(value, target, path, depth: depth + 1)
        }
        if let t = s["type"] {
            let types = t.arrayValue?.compactMap(\.stringValue) ?? [t.stringValue ?? ""]
            guard types.contains(where: { Self.has(value, type: $0) }) else {
                return fail("must be \(types.joined(separator: " or ")), not \(value.typeName)")
            }
        }
        if let options = s["enum"]?.arrayValue, !options.contains(value) {
            return fail("must be one of \(options.map { JSONWriter.string($0) }.joined(separator: ", ")), not "
                        + JSONWriter.string(value))
        }
        if let c = s["const"], c != value { return fail("must be \(JSONWriter.string(c))") }
        if let branches = s["anyOf"]?.arrayValue ?? s["oneOf"]?.arrayValue {
            let problems = branches.map { check(value, $0, path, depth: depth + 1) }
            let matching = problems.filter { $0 == nil }.count
            if matching == 0 {
                // The deepest branch problem says most about what is wrong.
                let deepest = problems.compactMap { $0 }.max { $0.path.count < $1.path.count }
                return deepest ?? fail("matches none of its alternatives")
            }
            if s["oneOf"] != nil && matching > 1 { return fail("matches \(matching) alternatives of a oneOf") }
        }
        switch value {
        case .number(let n):
            if let min = s["minimum"]?.numberValue, n < min { return fail("must be at least \(min)") }
            if let max = s["maximum"]?.numberValue, n > max { return fail("must be at most \(max)") }
        case .string(let text):
            if let min = s["minLength"]?.numberValue, Double(text.count) < min { return fail("is shorter than \(min)") }
            if let max = s["maxLength"]?.numberValue, Double(text.count) > max { return fail("is longer than \(max)") }
            if let pattern = s["pattern"]?.stringValue, text.range(of: pattern, options: .regularExpression) == nil {
                return fail("does not match \(pattern)")
            }
            if s["format"]?.stringValue == "date-time", ISOTime.date(text) == nil, !Self.isDateTime(text) {
                return fail("is not a date-time: \(text)")
            }
        case .array(let items):
            if let min = s["minItems"]?.numberValue, Double(items.count) < min { return fail("has fewer than \(min) items") }
            if let max = s["maxItems"]?.numberValue, Double(items.count) > max { return fail("has more than \(max) items") }
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() {
                    if let p = check(item, itemSchema, "\(path)[\(i)]", depth: depth + 1) { return p }
                }
            }
        case .object(let o):
            return checkObject(o, s, path, depth: depth)
        default:
            break
        }
        return nil
    }

    private func checkObject(_ o: Value.Object, _ s: Value.Object, _ path: String, depth: Int) -> Problem? {
        let properties = s["properties"]?.objectValue ?? [:]
        for key in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where o[key] == nil {
            return Problem(path: "\(path).\(key)", message: "is required but missing")
        }
        for key in o.keys.sorted() {
            let child = "\(path).\(key)"
            if let p = properties[key] {
                if let problem = check(o[key]!, p, child, depth: depth + 1) { return problem }
            } else if s["additionalProperties"] == .bool(false) {
                return Problem(path: child, message: "is not in the schema (expected \(properties.keys.sorted()))")
            } else if let extra = s["additionalProperties"], case .object = extra {
                if let problem = check(o[key]!, extra, child, depth: depth + 1) { return problem }
            }
        }
        return nil
    }

    static func has(_ value: Value, type: String) -> Bool {
        switch (type, value) {
        case ("integer", .number(let n)): return n == n.rounded() && n.isFinite
        case ("number", .number), ("string", .string), ("boolean", .bool), ("object", .object), ("array", .array),
             ("null", .null): return true
        default: return false
        }
    }

    /// RFC 3339 `date-time` (what ISO 8601 parsing may refuse, such as fractional seconds).
    static func isDateTime(_ text: String) -> Bool {
        text.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"#,
                   options: .regularExpression) != nil
    }
}
