import OnrampCore

/// The JSON Schema subset connector and step specs use: type, properties, required, additionalProperties (false or
/// a schema for every other key), enum, default, minimum, maximum, minLength, minItems, items. Validation fills in
/// defaults and names the failing path; a number written as text where only a number fits becomes that number (a
/// placeholder fills in text).
public enum JSONSchema {
    public static func validate(_ value: Value, against schema: Value, at path: String) throws(OnrampError) -> Value {
        var problems: [OnrampError] = []
        let out = validate(value, against: schema, at: path, problems: &problems, stopAtFirst: true)
        if let first = problems.first { throw first }
        return out
    }

    /// Every place `value` breaks `schema`, in document order (the first is what `validate` throws).
    public static func problems(_ value: Value, against schema: Value, at path: String) -> [OnrampError] {
        var problems: [OnrampError] = []
        _ = validate(value, against: schema, at: path, problems: &problems, stopAtFirst: false)
        return problems
    }

    static func validate(_ value: Value, against schema: Value, at path: String, problems: inout [OnrampError],
                         stopAtFirst: Bool) -> Value {
        guard case .object(let s) = schema else { return value }
        func fail(_ code: String, _ message: String, at where: String, hint: String? = nil) {
            problems.append(OnrampError(code, message, at: `where`, hint: hint))
        }
        var value = value
        if let t = s["type"] {
            let types = t.arrayValue?.compactMap(\.stringValue) ?? [t.stringValue ?? ""]
            value = numberFromText(value, types: types)
            let ok = types.contains { type in
                switch (type, value) {
                case ("integer", .number(let n)): return n == n.rounded()
                case ("number", .number), ("string", .string), ("boolean", .bool), ("object", .object), ("array", .array),
                     ("null", .null): return true
                default: return false
                }
            }
            if !ok {
                fail("config.type", "must be \(types.joined(separator: " or ")), not \(value.typeName)", at: path)
                return value
            }
        }
        if let e = s["enum"]?.arrayValue, !e.contains(value) {
            fail("config.enum", "must be one of \(e.map { JSONWriter.string($0) }.joined(separator: ", "))", at: path,
                 hint: value.stringValue.flatMap { Suggestion.hint(for: $0, in: e.compactMap(\.stringValue)) })
            return value
        }
        if case .number(let n) = value {
            if let min = s["minimum"]?.numberValue, n < min {
                fail("config.range", "must be at least \(NumberFormatting.javaScript(min))", at: path)
            }
            if let max = s["maximum"]?.numberValue, n > max {
                fail("config.range", "must be at most \(NumberFormatting.javaScript(max))", at: path)
            }
        }
        if case .string(let str) = value, let minLength = s["minLength"]?.numberValue, Double(str.count) < minLength {
            fail("config.length", "must not be empty", at: path)
        }
        if case .array(let items) = value, let minItems = s["minItems"]?.numberValue, Double(items.count) < minItems {
            fail("config.length", "must have at least \(NumberFormatting.javaScript(minItems)) item\(minItems == 1 ? "" : "s")",
                 at: path)
        }
        if stopAtFirst, !problems.isEmpty { return value }
        if case .array(let items) = value, let itemSchema = s["items"] {
            var out: [Value] = []
            for (i, item) in items.enumerated() {
                out.append(validate(item, against: itemSchema, at: "\(path)[\(i)]", problems: &problems,
                                    stopAtFirst: stopAtFirst))
                if stopAtFirst, !problems.isEmpty { break }
            }
            return .array(out)
        }
        guard case .object(var o) = value else { return value }
        let props = s["properties"]?.objectValue ?? [:]
        for req in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where o[req] == nil {
            fail("config.missing", "required key is missing", at: "\(path).\(req)")
            if stopAtFirst { return value }
        }
        if s["additionalProperties"] == .bool(false) {
            for k in o.keys where props[k] == nil {
                fail("config.unknown_key", "unknown key; expected one of \(props.keys.sorted().joined(separator: ", "))",
                     at: "\(path).\(k)", hint: Suggestion.hint(for: k, in: props.keys.sorted()))
                if stopAtFirst { return value }
            }
        }
        if let extra = s["additionalProperties"], case .object = extra {
            for (k, v) in o where props[k] == nil {
                o[k] = validate(v, against: extra, at: "\(path).\(k)", problems: &problems, stopAtFirst: stopAtFirst)
                if stopAtFirst, !problems.isEmpty { return value }
            }
        }
        for (k, ps) in props {
            if let v = o[k] {
                o[k] = validate(v, against: ps, at: "\(path).\(k)", problems: &problems, stopAtFirst: stopAtFirst)
                if stopAtFirst, !problems.isEmpty { return value }
            } else if let d = ps["default"] {
                o[k] = d
            }
        }
        return .object(o)
    }

    /// A number written as text where only a number fits (`"5432"` for an integer): what `${param:…}`, `${env:…}`
    /// and `${secret:…}` fill in. Plain decimal text only (an integer's at most 15 digits: exact as a double).
    static func numberFromText(_ value: Value, types: [String]) -> Value {
        guard case .string(let text) = value, !types.contains("string"), text.utf8.count <= 40 else { return value }
        let digits = text.utf8.dropFirst(text.hasPrefix("-") ? 1 : 0)
        if types.contains("integer"), digits.count <= 15, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(text) {
            return .number(Double(n))
        }
        if types.contains("number"), ExactDecimal.isPlainDecimal(text), let n = Double(text), n.isFinite { return .number(n) }
        return value
    }

    /// The schema of object key `key`: from `properties`, else from the `oneOf`/`anyOf`/`allOf` branches (Airbyte's
    /// `credentials` and `tunnel_method` choices), preferring a branch that marks it secret.
    public static func property(_ key: String, of schema: Value?) -> Value? {
        if let p = schema?["properties"]?[key] { return p }
        var found: [Value] = []
        for combinator in ["oneOf", "anyOf", "allOf"] {
            for branch in schema?[combinator]?.arrayValue ?? [] {
                if let p = property(key, of: branch) { found.append(p) }
            }
        }
        return found.first(where: isSecret) ?? found.first
    }

    /// Whether a field's schema marks it secret: `"x-secret": true`, `"format": "password"` or Airbyte's
    /// `"airbyte_secret": true`.
    public static func isSecret(_ schema: Value?) -> Bool {
        schema?["x-secret"]?.boolValue == true || schema?["format"]?.stringValue == "password"
            || schema?["airbyte_secret"]?.boolValue == true
    }
}
