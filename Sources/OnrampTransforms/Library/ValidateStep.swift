import Foundation
import OnrampCore
import OnrampExpression

/// `validate`: rules per field or across fields. A record failing a rule at `level: error` becomes an error record
/// (code `validate.<rule>`, the field path and its value); at `level: warning` it goes on and the warning is
/// reported beside the errors.
final class ValidateStep: Step {
    struct Rule {
        let name: String
        let field: FieldPath?
        let required: Bool
        let type: String?
        let pattern: NSRegularExpression?
        let patternText: String?
        let min: Double?
        let max: Double?
        let allowed: [Value]?
        let minLength: Int?
        let maxLength: Int?
        let check: JSONata?
        let message: String?
        let isWarning: Bool
    }

    let rules: [Rule]
    let label: String
    let functions: JSONata.FunctionRegistry

    init(_ c: StepConfig, label: String, functions: JSONata.FunctionRegistry) throws(OnrampError) {
        var rules: [Rule] = []
        var names = Set<String>()
        for (i, item) in (try c.array("rules") ?? []).enumerated() {
            let r = try StepConfig(item, at: "\(c.at("rules"))[\(i)]")
            let name = try r.string("name", default: "")
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), names.insert(name).inserted else {
                throw OnrampError("config.name", "a rule needs a unique name of letters, digits and _", at: r.at("name"))
            }
            let field = try r.string("field").map { (s) throws(OnrampError) in try FieldPath(s, at: r.at("field")) }
            var pattern: NSRegularExpression?
            let patternText = try r.string("pattern")
            if let patternText {
                do { pattern = try NSRegularExpression(pattern: patternText) } catch {
                    throw OnrampError("config.pattern", "'\(patternText)' is not a regular expression", at: r.at("pattern"))
                }
            }
            let rule = Rule(name: name, field: field, required: try r.bool("required", default: false),
                            type: try r.string("type"), pattern: pattern, patternText: patternText,
                            min: r.value["min"]?.numberValue, max: r.value["max"]?.numberValue,
                            allowed: try r.array("enum"),
                            minLength: r.value["min_length"] == nil ? nil : try r.int("min_length", default: 0),
                            maxLength: r.value["max_length"] == nil ? nil : try r.int("max_length", default: 0),
                            check: try r.expression("check"), message: try r.string("message"),
                            isWarning: try r.string("level", default: "error") == "warning")
            let checks = [rule.required, rule.type != nil, rule.pattern != nil, rule.min != nil, rule.max != nil,
                          rule.allowed != nil, rule.minLength != nil, rule.maxLength != nil, rule.check != nil]
            guard checks.contains(true) else {
                throw OnrampError("config.missing", "the rule checks nothing: give required, type, pattern, min, max, enum, "
                                  + "min_length, max_length or check", at: r.path)
            }
            guard rule.field != nil || (rule.check != nil && checks.filter { $0 }.count == 1) else {
                throw OnrampError("config.missing", "a rule without `field` can only have `check` (an expression on the record)",
                                  at: r.path)
            }
            rules.append(rule)
        }
        guard !rules.isEmpty else { throw OnrampError("config.length", "give at least one rule", at: c.at("rules")) }
        self.rules = rules
        self.label = label
        self.functions = functions
    }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        var records = records
        process(taking: &records, errors: &errors)
        return records
    }

    func process(taking records: inout [Record], errors: inout [RecordError]) {
        ParallelChunks.update(&records, errors: &errors) { r, errors in
            var failed = false
            for rule in rules {
                guard let problem = check(rule, r.value) else { continue }
                let value = rule.field.flatMap { $0.get(r.value) }
                let shown = value.map { JSONWriter.string($0) }.map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
                var message = rule.message ?? problem
                if let field = rule.field { message = "\(field) \(shown.map { "= \($0)" } ?? "is missing"): \(message)" }
                errors.append(RecordError(stage: .transform, position: r.position, code: "validate.\(rule.name)",
                                          message: message, step: label, value: r.value, field: rule.field?.description,
                                          isWarning: rule.isWarning))
                if !rule.isWarning { failed = true }
            }
            return !failed
        }
    }

    /// What is wrong with `record` by `rule`, nil when it passes. A missing or null field fails only `required`.
    private func check(_ rule: Rule, _ record: Value) -> String? {
        if let field = rule.field {
            let v = field.get(record)
            guard let v, !v.isNull, !(rule.required && v.isBlank) else { return rule.required ? "is required" : nil }
            if let type = rule.type, !Self.matches(v, type) { return "must be \(type), not \(v.typeName)" }
            if let allowed = rule.allowed, !allowed.contains(v) {
                return "must be one of \(allowed.map { JSONWriter.string($0) }.joined(separator: ", "))"
            }
            let n = Self.number(v)
            if let min = rule.min { guard let n, n >= min else { return "must be at least \(NumberFormatting.javaScript(min))" } }
            if let max = rule.max { guard let n, n <= max else { return "must be at most \(NumberFormatting.javaScript(max))" } }
            let text = v.scalarText ?? JSONWriter.string(v)
            if let min = rule.minLength, text.count < min { return "must be at least \(min) characters long" }
            if let max = rule.maxLength, text.count > max { return "must be at most \(max) characters long" }
            if let re = rule.pattern {
                switch Self.matchesWhole(re, text) {
                case true?: break
                case false?: return "must match \(rule.patternText ?? "")"
                case nil: return "took more than \(Self.matchSeconds) s to match \(rule.patternText ?? "") (a pattern that backtracks)"
                }
            }
        }
        if let check = rule.check {
            do throws(JSONataError) {
                let bindings: [String: Value] = rule.field.flatMap { $0.get(record) }.map { ["value": $0] } ?? [:]
                let result = try check.evaluate(record, bindings: bindings, functions: functions)
                if result != .bool(true) { return "fails \(check.source)" }
            } catch {
                return "the check failed: \(error.message)"
            }
        }
        return nil
    }

    static func matches(_ v: Value, _ type: String) -> Bool {
        switch type {
        case "integer": return v.numberValue.map { $0 == $0.rounded() } ?? false
        case "decimal": return number(v) != nil
        case "date": return v.stringValue.map(isISODate) ?? false
        default: return v.typeName == type
        }
    }

    /// A number, or a string holding a plain decimal number (`"12.50"`), for `min`/`max` and `type: decimal`.
    static func number(_ v: Value) -> Double? {
        switch v {
        case .number(let n): return n
        case .string(let s): return ExactDecimal.isPlainDecimal(s) ? Double(s) : nil
        default: return nil
        }
    }

    static func isISODate(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == 45, b[7] == 45 else { return false }
        func n(_ r: Range<Int>) -> Int? {
            var x = 0
            for i in r { guard b[i] >= 48, b[i] <= 57 else { return nil }; x = x * 10 + Int(b[i] - 48) }
            return x
        }
        guard let y = n(0..<4), let m = n(5..<7), let d = n(8..<10), (1...12).contains(m), d >= 1 else { return false }
        return d <= DateParsing.daysIn(m, y)
    }
}

extension ValidateStep {
    /// How long one value may take to match a rule's pattern: a pattern that backtracks for ever on a hostile value
    /// (`(a+)+$`) fails that record instead of holding the run until its time limit.
    static let matchSeconds = 1

    /// Whether the first match of `re` is the whole text; nil when matching took longer than `matchSeconds`.
    static func matchesWhole(_ re: NSRegularExpression, _ text: String) -> Bool? {
        let length = (text as NSString).length
        let deadline = ContinuousClock.now + .seconds(matchSeconds)
        var found: NSTextCheckingResult?
        var late = false
        re.enumerateMatches(in: text, options: [.reportProgress], range: NSRange(location: 0, length: length)) { m, _, stop in
            if let m { found = m } else if ContinuousClock.now > deadline { late = true } else { return }
            stop.pointee = true
        }
        if late { return nil }
        return found?.range.location == 0 && found?.range.length == length
    }

    static let spec = StepSpec(
        name: "validate",
        summary: "Checks fields against rules; a failing record becomes an error record (or a warning, by rule).",
        configSchema: Schema.object([
            "rules": ["type": "array", "title": "Rules", "minItems": 1, "items": Schema.object([
                "name": Schema.string("Name", "The rule's name: its error code is validate.<name>"),
                "field": Schema.field("Field", "The field path the rule checks (omit for a check on the whole record)"),
                "required": Schema.boolean("Required", "The field must be present, not null and not blank", default: false),
                "type": Schema.choice("Type", "The field's type", ["string", "number", "integer", "decimal", "boolean",
                                                                   "object", "array", "date"]),
                "pattern": Schema.string("Pattern", "A regular expression the whole text must match (within 1 s a value)"),
                "min": ["type": "number", "title": "Minimum", "description": "The smallest allowed number"],
                "max": ["type": "number", "title": "Maximum", "description": "The largest allowed number"],
                "enum": ["type": "array", "title": "Allowed values", "description": "The only values allowed"],
                "min_length": Schema.integer("Min length", "Fewest characters", min: 0, max: 1_000_000),
                "max_length": Schema.integer("Max length", "Most characters", min: 0, max: 1_000_000),
                "check": Schema.expression("Check", "A JSONata predicate on the record ($value: the field's value)"),
                "message": Schema.string("Message", "What the error says instead of the rule's own words"),
                "level": Schema.choice("Level", "error: the record fails; warning: it goes on and is reported",
                                       ["error", "warning"], default: "error"),
            ], required: ["name"])],
        ], required: ["rules"]),
        example: """
        - validate:
            rules:
              - {name: order_id, field: order_id, required: true}
              - {name: amount, field: amount, type: number, min: 0}
              - {name: currency, field: currency, pattern: "[A-Z]{3}", level: warning}
              - {name: dates, check: "ship_date >= order_date"}
        """,
        build: { config, spec, context in
            try ValidateStep(try StepConfig(config, at: spec.path), label: spec.name ?? spec.path, functions: context.functions)
        })
}
