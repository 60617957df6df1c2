import OnrampCore
import OnrampExpression

/// `cast`: fields to types, reading the formats ERPs write: decimals with separators (`1.234,56`), integers, dates
/// and date-times by picture and zone, booleans from `Y`/`Ja`/`1`/`true`. A value that does not convert is an error
/// record naming the field (or, by `on_error`, becomes null or stays as it was). Null and missing fields stay so;
/// an empty text becomes null (but stays a text for `string`).
final class CastStep: Step {
    enum Kind: String, CaseIterable { case string, number, decimal, integer, boolean, date, datetime }
    struct Cast {
        let field: FieldPath
        let kind: Kind
        /// The cleansing function that parses the text (decimal, date, datetime), and its arguments after the text.
        let parser: JSONata.FunctionRegistry.Function?
        let arguments: [Value?]
        let truthy: Set<String>
        let falsy: Set<String>
    }

    static let trueWords: Set<String> = ["true", "t", "yes", "y", "1", "ja", "j", "oui", "si", "sí", "x", "on", "wahr"]
    static let falseWords: Set<String> = ["false", "f", "no", "n", "0", "nein", "non", "off", "falsch", ""]

    let casts: [Cast]
    /// One field's path starts another's (`a` and `a.b`): each then reads what the casts before it made.
    let overlapping: Bool
    let onError: String
    let label: String

    init(_ c: StepConfig, label: String, functions: JSONata.FunctionRegistry) throws(OnrampError) {
        var casts: [Cast] = []
        for (name, v) in try c.object("fields") ?? [:] {
            let at = "\(c.at("fields")).\(name)"
            let options: StepConfig
            if case .string(let t) = v { options = try StepConfig(["type": .string(t)], at: at) } else { options = try StepConfig(v, at: at) }
            let typeName = try options.string("type", default: "")
            guard let kind = Kind(rawValue: typeName) else {
                throw OnrampError("config.enum", "the type must be one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))",
                                  at: options.value["type"] == nil ? at : options.at("type"))
            }
            for key in options.value.keys where !["type", "decimal_separator", "group_separator", "format", "zone",
                                                   "true", "false"].contains(key) {
                throw OnrampError("config.unknown_key", "unknown key; expected type, decimal_separator, group_separator, "
                                  + "format, zone, true, false", at: options.at(key))
            }
            var parser: JSONata.FunctionRegistry.Function?
            var arguments: [Value?] = []
            func text(_ key: String) throws(OnrampError) -> Value? { try options.string(key).map(Value.string) }
            func function(_ name: String) throws(OnrampError) -> JSONata.FunctionRegistry.Function {
                guard let f = functions.function(name) else {
                    throw OnrampError("config.format", "this build has no $\(name) for a \(kind.rawValue)", at: at)
                }
                return f
            }
            switch kind {
            case .decimal:
                parser = try function("parseDecimal")
                arguments = [try text("decimal_separator"), try text("group_separator")]
            case .date, .datetime:
                guard let format = try text("format") else {
                    throw OnrampError("config.missing", "a \(kind.rawValue) needs its `format` (a picture such as DD.MM.YYYY)",
                                      at: at)
                }
                parser = try function(kind == .date ? "parseDate" : "parseDateTime")
                arguments = kind == .date ? [format] : [format, try text("zone")]
            default: break
            }
            func words(_ key: String) throws(OnrampError) -> Set<String>? {
                try options.array(key).map { Set($0.compactMap { $0.scalarText?.lowercased() }) }
            }
            casts.append(Cast(field: try FieldPath(name, at: at), kind: kind, parser: parser, arguments: arguments,
                              truthy: try words("true") ?? Self.trueWords, falsy: try words("false") ?? Self.falseWords))
        }
        guard !casts.isEmpty else { throw OnrampError("config.length", "give at least one field", at: c.at("fields")) }
        self.casts = casts
        let paths = Set(casts.map(\.field.keys))
        overlapping = casts.contains { c in (1..<max(1, c.field.keys.count)).contains { paths.contains(Array(c.field.keys.prefix($0))) } }
        onError = try c.string("on_error", default: "error")
        self.label = label
    }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        var records = records
        process(taking: &records, errors: &errors)
        return records
    }

    func process(taking records: inout [Record], errors: inout [RecordError]) {
        ParallelChunks.update(&records, errors: &errors) { r, errors in
            // Every field is converted before any is set (one after another on a copy when paths overlap): a record that
            // fails is reported as it came.
            var copy = overlapping ? r.value : .null
            var converted: [Value?] = []
            converted.reserveCapacity(casts.count)
            func take(_ v: Value?, _ cast: Cast) {
                converted.append(v)
                if overlapping, let v { cast.field.set(v, in: &copy) }
            }
            for cast in casts {
                guard let v = cast.field.get(overlapping ? copy : r.value), !v.isNull else { take(nil, cast); continue }
                if cast.kind != .string, v.isBlank {
                    take(.null, cast)
                    continue
                }
                do throws(OnrampError) {
                    take(try convert(v, cast), cast)
                } catch {
                    switch onError {
                    case "set_null": take(.null, cast)
                    case "keep": take(nil, cast)
                    default:
                        errors.append(RecordError(stage: .transform, position: r.position, code: error.code,
                                                  message: "\(cast.field): \(error.message)", step: label, value: r.value,
                                                  field: cast.field.description))
                        return false
                    }
                }
            }
            if overlapping {
                r.value = copy
            } else {
                for (cast, v) in zip(casts, converted) where v != nil { cast.field.set(v, in: &r.value) }
            }
            return true
        }
    }

    private func convert(_ v: Value, _ cast: Cast) throws(OnrampError) -> Value {
        var shown: Substring { JSONWriter.string(v).prefix(100) }
        switch cast.kind {
        case .string:
            guard let text = v.scalarText else { throw OnrampError("cast.string", "\(v.typeName) is not text") }
            return .string(text)
        case .number, .integer:
            let n: Double?
            switch v {
            case .number(let x): n = x
            case .string(let s): n = ValidateStep.number(.string(s.trimmingCharacters(in: .whitespaces)))
            default: n = nil
            }
            guard let n else { throw OnrampError("cast.\(cast.kind.rawValue)", "\(shown) is not a number") }
            if cast.kind == .integer, n != n.rounded() { throw OnrampError("cast.integer", "\(shown) is not a whole number") }
            return .number(n)
        case .boolean:
            if case .bool = v { return v }
            let text = (v.scalarText ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            if cast.truthy.contains(text) { return true }
            if cast.falsy.contains(text) { return false }
            throw OnrampError("cast.boolean", "\(shown) is not one of the yes/no words")
        case .decimal, .date, .datetime:
            if cast.kind == .decimal, case .number = v { return v }
            guard let parser = cast.parser, case .string(let s) = v else {
                throw OnrampError("cast.\(cast.kind.rawValue)", "\(v.typeName) is not text")
            }
            do {
                return try parser([.string(s)] + cast.arguments) ?? .null
            } catch let e as OnrampError {
                throw OnrampError("cast.\(cast.kind.rawValue)", e.message)
            } catch {
                throw OnrampError("cast.\(cast.kind.rawValue)", "\(error)")
            }
        }
    }
}

extension CastStep {
    static let spec = StepSpec(
        name: "cast",
        summary: "Converts fields to types: decimals with separators, integers, dates by picture, yes/no words.",
        configSchema: Schema.object([
            "fields": Schema.map("Fields", "Field path: a type (string, number, decimal, integer, boolean, date, datetime) "
                                 + "or {type, decimal_separator, group_separator, format, zone, true, false}",
                                 values: ["type": ["string", "object"]]),
            "on_error": Schema.choice("On error", "error: an error record (cast.<type>); set_null: the field becomes null; "
                                      + "keep: the value stays", ["error", "set_null", "keep"], default: "error"),
        ], required: ["fields"]),
        example: """
        - cast:
            fields:
              amount: {type: decimal, decimal_separator: ",", group_separator: "."}
              quantity: integer
              order_date: {type: date, format: DD.MM.YYYY}
              paid: boolean
        """,
        build: { config, spec, context in
            try CastStep(try StepConfig(config, at: spec.path), label: spec.name ?? spec.path, functions: context.functions)
        })
}
