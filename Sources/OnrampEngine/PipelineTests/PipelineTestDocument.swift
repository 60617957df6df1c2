import OnrampCore
import OnrampExpression

/// A pipeline test file (`<pipeline>.tests.yaml`): the pipeline it tests, values for its `${env:…}` placeholders, and
/// its cases. Validated from its YAML/JSON tree; unknown keys are errors with their path (`cases[1].expect.outputs`).
public struct PipelineTestDocument: Sendable {
    /// The pipeline file, relative to the test file (the CLI reads it; the API tests the stored version instead).
    public var pipeline: String?
    /// `${env:NAME}` values for the pipeline, before the process environment.
    public var env: [String: String]
    public var cases: [PipelineTestCase]

    /// Cases a document may hold, and records an inline input or expectation may list.
    public static let maxCases = 1000
    public static let maxRecords = 10_000

    public init(from document: Value) throws(OnrampError) {
        let root = try TestKeys.object(document, "")
        try TestKeys.rejectUnknown(root, ["pipeline", "env", "cases"], "")
        pipeline = try TestKeys.string(root, "pipeline", "")
        env = [:]
        if let e = root["env"] {
            for (k, v) in try TestKeys.object(e, "env") {
                guard let text = v.scalarText, !v.isNull else {
                    throw OnrampError("test.type", "must be text, not \(v.typeName)", at: "env.\(k)")
                }
                env[k] = text
            }
        }
        guard let list = root["cases"] else { throw OnrampError("test.missing", "required key is missing", at: "cases") }
        guard case .array(let items) = list, !items.isEmpty else {
            throw OnrampError("test.type", "must be a non-empty list of cases", at: "cases")
        }
        guard items.count <= Self.maxCases else {
            throw OnrampError("test.too_large", "a test file holds at most \(Self.maxCases) cases", at: "cases")
        }
        var seen: Set<String> = []
        cases = []
        for (i, item) in items.enumerated() {
            let c = try PipelineTestCase(from: item, at: "cases[\(i)]")
            guard seen.insert(c.name).inserted else {
                throw OnrampError("test.duplicate", "another case has the name '\(c.name)'", at: "cases[\(i)].name")
            }
            cases.append(c)
        }
    }
}

/// One case: an input, the steps it goes through, and what must come out.
public struct PipelineTestCase: Sendable {
    public enum Input: Sendable {
        /// Records entering the first selected step as they are.
        case records([Value])
        /// A file (relative to the test file, or the tenant's file area) read by the pipeline's own source.
        case file(String)
        /// File text read by the pipeline's own source, as if it were a file.
        case text(String)
    }

    /// A step by its `name:` or by its index (`2` or `steps[2]`).
    public enum StepRef: Sendable {
        case name(String)
        case index(Int)
    }

    public var name: String
    /// Where the case is in its file (`cases[2]`).
    public var path: String
    public var input: Input
    public var from: StepRef?
    public var to: StepRef?
    public var expect: PipelineTestExpectation

    init(from value: Value, at path: String) throws(OnrampError) {
        let o = try TestKeys.object(value, path)
        try TestKeys.rejectUnknown(o, ["name", "input", "from", "to", "expect"], path)
        self.path = path
        name = try TestKeys.string(o, "name", path, required: true)!
        guard !name.isEmpty, name.count <= 200 else {
            throw OnrampError("test.name", "a case name is 1 to 200 characters", at: "\(path).name")
        }
        guard let i = o["input"] else { throw OnrampError("test.missing", "required key is missing", at: "\(path).input") }
        input = try Self.input(i, at: "\(path).input")
        from = try o["from"].map { v throws(OnrampError) in try Self.stepRef(v, at: "\(path).from") }
        to = try o["to"].map { v throws(OnrampError) in try Self.stepRef(v, at: "\(path).to") }
        guard let e = o["expect"] else { throw OnrampError("test.missing", "required key is missing", at: "\(path).expect") }
        expect = try PipelineTestExpectation(from: e, at: "\(path).expect")
    }

    private static func input(_ v: Value, at path: String) throws(OnrampError) -> Input {
        let o = try TestKeys.object(v, path)
        try TestKeys.rejectUnknown(o, ["records", "file", "text"], path)
        guard o.count == 1, let entry = o.elements.first else {
            throw OnrampError("test.input", "give exactly one of records, file or text", at: path)
        }
        let value = entry.value
        switch entry.key {
        case "records": return .records(try TestKeys.records(value, at: "\(path).records"))
        case "file":
            guard case .string(let p) = value, !p.isEmpty else {
                throw OnrampError("test.type", "must be a file path (text)", at: "\(path).file")
            }
            return .file(p)
        default:
            guard case .string(let t) = value else { throw OnrampError("test.type", "must be text", at: "\(path).text") }
            return .text(t)
        }
    }

    private static func stepRef(_ v: Value, at path: String) throws(OnrampError) -> StepRef {
        switch v {
        case .number(let n) where n >= 0 && n < 10_000 && n == n.rounded(): return .index(Int(n))
        case .string(let s) where !s.isEmpty:
            if s.hasPrefix("steps["), s.hasSuffix("]"), let n = Int(s.dropFirst(6).dropLast()), n >= 0 { return .index(n) }
            return .name(s)
        default: throw OnrampError("test.type", "must be a step's name, its index or steps[N]", at: path)
        }
    }
}

/// What a case must produce. Output is compared only when `output`, `each` or `all` is given; errors always (none
/// given: none expected); dry-run answers when `sandbox` is given.
public struct PipelineTestExpectation: Sendable {
    /// One expected failed record: its code and stage, and when given, its field, step and a part of its message.
    public struct ExpectedError: Sendable {
        public var code: String
        public var stage: Stage?
        /// `.some(nil)`: the error must name no field.
        public var field: String??
        public var step: String?
        public var message: String?
    }

    /// One expected sandbox answer: a result that holds these keys with these values, or a refusal with this code.
    public enum ExpectedAnswer: Sendable {
        case result(Value)
        case refused(code: String, message: String?)
    }

    /// A JSONata predicate as written, and compiled.
    public struct Predicate: Sendable {
        public var source: String
        var expression: JSONata
        var path: String
    }

    public var output: [Value]?
    public var each: [Predicate]
    public var all: [Predicate]
    public var errors: [ExpectedError]
    public var sandbox: [ExpectedAnswer]?

    init(from value: Value, at path: String) throws(OnrampError) {
        let o = try TestKeys.object(value, path)
        try TestKeys.rejectUnknown(o, ["output", "each", "all", "errors", "sandbox"], path)
        output = try o["output"].map { v throws(OnrampError) in try TestKeys.records(v, at: "\(path).output") }
        each = try Self.predicates(o["each"], at: "\(path).each")
        all = try Self.predicates(o["all"], at: "\(path).all")
        errors = []
        if let e = o["errors"] {
            guard case .array(let items) = e, items.count <= PipelineTestDocument.maxRecords else {
                throw OnrampError("test.type", "must be a list of expected errors", at: "\(path).errors")
            }
            for (i, item) in items.enumerated() { errors.append(try Self.expectedError(item, at: "\(path).errors[\(i)]")) }
        }
        if let s = o["sandbox"] {
            guard case .array(let items) = s, items.count <= PipelineTestDocument.maxRecords else {
                throw OnrampError("test.type", "must be a list of expected answers, one per output record",
                                  at: "\(path).sandbox")
            }
            var answers: [ExpectedAnswer] = []
            for (i, item) in items.enumerated() {
                answers.append(try Self.expectedAnswer(item, at: "\(path).sandbox[\(i)]"))
            }
            sandbox = answers
        }
    }

    private static func predicates(_ v: Value?, at path: String) throws(OnrampError) -> [Predicate] {
        guard let v else { return [] }
        let items: [(Value, String)]
        if case .array(let list) = v {
            items = list.enumerated().map { ($0.element, "\(path)[\($0.offset)]") }
        } else {
            items = [(v, path)]
        }
        var out: [Predicate] = []
        for (item, at) in items {
            guard case .string(let source) = item else {
                throw OnrampError("test.type", "must be a JSONata expression", at: at)
            }
            do { out.append(Predicate(source: source, expression: try JSONata(source), path: at)) } catch {
                throw OnrampError("expr.\(error.code)", "\(error.message) at character \(error.position ?? 0)", at: at)
            }
        }
        return out
    }

    private static func expectedError(_ v: Value, at path: String) throws(OnrampError) -> ExpectedError {
        let o = try TestKeys.object(v, path)
        try TestKeys.rejectUnknown(o, ["code", "stage", "field", "step", "message"], path)
        let code = try TestKeys.string(o, "code", path, required: true)!
        var stage: Stage?
        if let s = try TestKeys.string(o, "stage", path) {
            guard let st = Stage(rawValue: s) else {
                throw OnrampError("test.stage", "must be extract, transform or load", at: "\(path).stage")
            }
            stage = st
        }
        var field: String??
        if let f = o["field"] { field = f.isNull ? .some(nil) : .some(try TestKeys.string(o, "field", path)) }
        return ExpectedError(code: code, stage: stage, field: field, step: try TestKeys.string(o, "step", path),
                             message: try TestKeys.string(o, "message", path))
    }

    private static func expectedAnswer(_ v: Value, at path: String) throws(OnrampError) -> ExpectedAnswer {
        let o = try TestKeys.object(v, path)
        try TestKeys.rejectUnknown(o, ["result", "refused", "message"], path)
        if let r = o["result"] {
            guard o.count == 1 else { throw OnrampError("test.answer", "give result or refused, not both", at: path) }
            return .result(r)
        }
        guard let code = try TestKeys.string(o, "refused", path) else {
            throw OnrampError("test.answer", "give result (what the answer holds) or refused (its code)", at: path)
        }
        return .refused(code: code, message: try TestKeys.string(o, "message", path))
    }
}

/// Reading a test document's tree with precise paths, as PipelineSpec reads a pipeline's.
enum TestKeys {
    static func join(_ base: String, _ key: String) -> String { base.isEmpty ? key : "\(base).\(key)" }

    static func object(_ v: Value, _ path: String) throws(OnrampError) -> Value.Object {
        guard case .object(let o) = v else {
            throw OnrampError("test.type", "must be an object, not \(v.typeName)", at: path.isEmpty ? "(document)" : path)
        }
        return o
    }

    static func rejectUnknown(_ o: Value.Object, _ allowed: Set<String>, _ path: String) throws(OnrampError) {
        for k in o.keys where !allowed.contains(k) {
            throw OnrampError("test.unknown_key", "unknown key; expected one of \(allowed.sorted().joined(separator: ", "))",
                              at: join(path, k))
        }
    }

    static func string(_ o: Value.Object, _ key: String, _ path: String, required: Bool = false) throws(OnrampError)
        -> String? {
        guard let v = o[key] else {
            if required { throw OnrampError("test.missing", "required key is missing", at: join(path, key)) }
            return nil
        }
        guard case .string(let s) = v else {
            throw OnrampError("test.type", "must be text, not \(v.typeName)", at: join(path, key))
        }
        return s
    }

    static func records(_ v: Value, at path: String) throws(OnrampError) -> [Value] {
        guard case .array(let items) = v else { throw OnrampError("test.type", "must be a list of records", at: path) }
        guard items.count <= PipelineTestDocument.maxRecords else {
            throw OnrampError("test.too_large", "at most \(PipelineTestDocument.maxRecords) records", at: path)
        }
        return items
    }
}
