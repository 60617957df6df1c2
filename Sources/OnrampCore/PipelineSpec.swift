/// A pipeline document (`version: 1`), validated from its JSON/YAML tree with precise error paths.
public struct PipelineSpec: Sendable {
    public struct ConnectorRef: Sendable {
        public var connector: String
        public var config: Value
        public var incremental: Value?
        public init(connector: String, config: Value, incremental: Value?) {
            self.connector = connector
            self.config = config
            self.incremental = incremental
        }
    }

    public struct StepSpec: Sendable {
        /// The step type (`map`, `filter`, `group`…).
        public var type: String
        /// The step's own configuration: the value under its type key.
        public var config: Value
        /// An optional label shown in error reports (`name:` beside the type key).
        public var name: String?
        public var path: String

        public init(type: String, config: Value, name: String?, path: String) {
            self.type = type
            self.config = config
            self.name = name
            self.path = path
        }
    }

    public struct Output: Sendable {
        public enum Format: String, Sendable { case ndjson, csv }
        public var path: String?
        public var format: Format
    }

    public struct ErrorPolicy: Sendable {
        /// The run fails when failed records / records read exceeds this (0…1).
        public var maxFailedRatio: Double?
        public var maxFailed: Int?
        public var path: String?
    }

    public var version: Int
    public var name: String
    public var description: String?
    public var source: ConnectorRef
    public var steps: [StepSpec]
    public var destination: ConnectorRef
    public var results: Output
    public var errors: ErrorPolicy
    public var batchSize: Int

    /// Where to tell a customer's own systems that a run ended: an HTTPS POST of the run summary,
    /// signed with HMAC-SHA256 of the body under `secret` (header `X-Onramp-Signature: sha256=<hex>`).
    public struct Notify: Sendable {
        public var url: String
        public var secret: String
        public init(url: String, secret: String) {
            self.url = url
            self.secret = secret
        }
    }

    public var notify: Notify?

    /// What a run does when its source's fields change against the last successful run (`SchemaDrift`).
    public enum DriftPolicy: String, Sendable, CaseIterable {
        /// Said in the run summary, the API and the webhook; the run goes on.
        case warn
        /// The run fails at the batch that shows the change, before that batch is sent.
        case fail
        /// Not compared.
        case ignore
    }

    public var schemaDrift = DriftPolicy.warn

    static let topLevelKeys: Set<String> = ["version", "name", "description", "source", "steps", "destination", "results",
                                            "errors", "batch_size", "notify", "schema_drift"]

    /// Validates a document; throws its first problem (`problems(in:)` lists them all).
    public init(from document: Value) throws(OnrampError) {
        var problems: [OnrampError] = []
        self.init(from: document, problems: &problems)
        if let first = problems.first { throw first }
    }

    /// Every problem in the document's own keys, in document order (connector configs and step configs are checked
    /// by their specs, not here).
    public static func problems(in document: Value) -> [OnrampError] {
        var problems: [OnrampError] = []
        _ = PipelineSpec(from: document, problems: &problems)
        return problems
    }

    /// Reads what it can, recording each problem and going on with a default; the result means something only when
    /// `problems` stayed empty.
    init(from document: Value, problems: inout [OnrampError]) {
        var c = Checker(problems: problems)
        defer { problems = c.problems }
        version = 1
        guard let root = c.object(document, "") else {
            name = ""
            source = ConnectorRef(connector: "", config: .object([:]), incremental: nil)
            destination = source
            steps = []
            results = Output(path: nil, format: .ndjson)
            errors = ErrorPolicy()
            batchSize = 500
            return
        }
        c.rejectUnknown(root, Self.topLevelKeys, "")
        if let v = root["version"] {
            if !(v.numberValue == 1) {
                c.add("spec.version", "unsupported version \(JSONWriter.string(v)); expected 1", at: "version")
            }
        } else {
            c.add("spec.missing", "required key is missing", at: "version")
        }
        name = c.string(root, "name", "", required: true) ?? ""
        if root["name"]?.stringValue != nil,
           name.isEmpty || name.contains(where: { !($0.isLetter || $0.isNumber || "-_.".contains($0)) }) {
            c.add("spec.name", "must be non-empty letters, digits, '-', '_' or '.'", at: "name")
        }
        description = c.string(root, "description", "")
        source = c.connector(root["source"], "source", allowIncremental: true)
        destination = c.connector(root["destination"], "destination", allowIncremental: false)
        steps = []
        if let s = root["steps"] {
            if case .array(let arr) = s {
                for (i, item) in arr.enumerated() {
                    let path = "steps[\(i)]"
                    guard let obj = c.object(item, path) else { continue }
                    var typeKeys = Array(obj.keys.filter { $0 != "name" })
                    guard typeKeys.count == 1, let type = typeKeys.popLast() else {
                        c.add("spec.step", "a step has exactly one type key (its type, such as map or lookup) besides name; "
                              + "found \(obj.keys.sorted())", at: path)
                        continue
                    }
                    steps.append(StepSpec(type: type, config: obj[type]!, name: c.string(obj, "name", path),
                                          path: "\(path).\(type)"))
                }
            } else {
                c.add("spec.type", "must be a list of steps", at: "steps")
            }
        }
        let r = root["results"].flatMap { c.object($0, "results") } ?? [:]
        c.rejectUnknown(r, ["path", "format"], "results")
        let fmt = c.string(r, "format", "results") ?? "ndjson"
        let format = Output.Format(rawValue: fmt)
        if format == nil { c.add("spec.enum", "must be ndjson or csv", at: "results.format") }
        results = Output(path: c.string(r, "path", "results"), format: format ?? .ndjson)
        let e = root["errors"].flatMap { c.object($0, "errors") } ?? [:]
        c.rejectUnknown(e, ["max_failed_ratio", "max_failed", "path"], "errors")
        errors = ErrorPolicy(maxFailedRatio: c.number(e, "max_failed_ratio", "errors", range: 0...1),
                             maxFailed: c.number(e, "max_failed", "errors", range: 0...Double(Int32.max)).map { Int($0) },
                             path: c.string(e, "path", "errors"))
        batchSize = c.number(root, "batch_size", "", range: 1...100_000).map { Int($0) } ?? 500
        if let drift = c.string(root, "schema_drift", "") {
            if let policy = DriftPolicy(rawValue: drift) { schemaDrift = policy } else {
                c.add("spec.enum", "must be warn, fail or ignore", at: "schema_drift",
                      hint: Suggestion.hint(for: drift, in: DriftPolicy.allCases.map(\.rawValue)))
            }
        }
        if let n = root["notify"], let o = c.object(n, "notify") {
            c.rejectUnknown(o, ["url", "secret"], "notify")
            if let url = c.string(o, "url", "notify", required: true),
               !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
                c.add("spec.url", "must be an http(s) URL", at: "notify.url")
            }
            let secret = c.string(o, "secret", "notify", required: true)
            notify = Notify(url: o["url"]?.stringValue ?? "", secret: secret ?? "")
        }
    }

    static func join(_ base: String, _ key: String) -> String { base.isEmpty ? key : "\(base).\(key)" }

    /// Reads a document's keys, recording each problem instead of stopping at the first.
    struct Checker {
        var problems: [OnrampError]

        mutating func add(_ code: String, _ message: String, at path: String, hint: String? = nil) {
            problems.append(OnrampError(code, message, at: path, hint: hint))
        }

        mutating func object(_ v: Value, _ path: String) -> Value.Object? {
            guard case .object(let o) = v else {
                add("spec.type", "must be an object, not \(v.typeName)", at: path.isEmpty ? "(document)" : path)
                return nil
            }
            return o
        }

        mutating func rejectUnknown(_ o: Value.Object, _ allowed: Set<String>, _ path: String) {
            for k in o.keys where !allowed.contains(k) {
                add("spec.unknown_key", "unknown key; expected one of \(allowed.sorted().joined(separator: ", "))",
                    at: join(path, k), hint: Suggestion.hint(for: k, in: allowed.sorted()))
            }
        }

        mutating func string(_ o: Value.Object, _ key: String, _ path: String, required: Bool = false) -> String? {
            guard let v = o[key] else {
                if required { add("spec.missing", "required key is missing", at: join(path, key)) }
                return nil
            }
            guard case .string(let s) = v else {
                add("spec.type", "must be a string, not \(v.typeName)", at: join(path, key))
                return nil
            }
            return s
        }

        mutating func number(_ o: Value.Object, _ key: String, _ path: String, range: ClosedRange<Double>) -> Double? {
            guard let v = o[key] else { return nil }
            guard case .number(let n) = v else {
                add("spec.type", "must be a number, not \(v.typeName)", at: join(path, key))
                return nil
            }
            guard range.contains(n) else {
                add("spec.range", "must be between \(NumberFormatting.javaScript(range.lowerBound)) and "
                    + "\(NumberFormatting.javaScript(range.upperBound))", at: join(path, key))
                return nil
            }
            return n
        }

        mutating func connector(_ v: Value?, _ path: String, allowIncremental: Bool) -> ConnectorRef {
            let empty = ConnectorRef(connector: "", config: .object([:]), incremental: nil)
            guard let v else {
                add("spec.missing", "required key is missing", at: path)
                return empty
            }
            guard let o = object(v, path) else { return empty }
            rejectUnknown(o, allowIncremental ? ["connector", "config", "incremental"] : ["connector", "config"], path)
            let name = string(o, "connector", path, required: true) ?? ""
            let config = o["config"] ?? .object([:])
            _ = object(config, join(path, "config"))
            return ConnectorRef(connector: name, config: config, incremental: o["incremental"])
        }
    }
}
