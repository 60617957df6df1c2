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

    static let topLevelKeys: Set<String> = ["version", "name", "description", "source", "steps", "destination", "results", "errors", "batch_size", "notify"]

    public init(from document: Value) throws(OnrampError) {
        let root = try Self.object(document, "")
        try Self.rejectUnknown(root, Self.topLevelKeys, "")
        guard let v = root["version"] else { throw OnrampError("spec.missing", "required key is missing", at: "version") }
        guard case .number(let n) = v, n == 1 else { throw OnrampError("spec.version", "unsupported version \(JSONWriter.string(v)); expected 1", at: "version") }
        version = 1
        name = try Self.string(root, "name", "", required: true)!
        if name.isEmpty || name.contains(where: { !($0.isLetter || $0.isNumber || "-_.".contains($0)) }) {
            throw OnrampError("spec.name", "must be non-empty letters, digits, '-', '_' or '.'", at: "name")
        }
        description = try Self.string(root, "description", "")
        source = try Self.connector(root["source"], "source", allowIncremental: true)
        destination = try Self.connector(root["destination"], "destination", allowIncremental: false)
        steps = []
        if let s = root["steps"] {
            guard case .array(let arr) = s else { throw OnrampError("spec.type", "must be a list of steps", at: "steps") }
            for (i, item) in arr.enumerated() {
                let path = "steps[\(i)]"
                let obj = try Self.object(item, path)
                var typeKeys = Array(obj.keys.filter { $0 != "name" })
                guard typeKeys.count == 1, let type = typeKeys.popLast() else {
                    throw OnrampError("spec.step", "a step has exactly one type key (its type, such as map or lookup) besides name; found \(obj.keys.sorted())", at: path)
                }
                steps.append(StepSpec(type: type, config: obj[type]!, name: try Self.string(obj, "name", path), path: "\(path).\(type)"))
            }
        }
        let r = try root["results"].map { (v) throws(OnrampError) in try Self.object(v, "results") } ?? [:]
        try Self.rejectUnknown(r, ["path", "format"], "results")
        let fmt = try Self.string(r, "format", "results") ?? "ndjson"
        guard let format = Output.Format(rawValue: fmt) else { throw OnrampError("spec.enum", "must be ndjson or csv", at: "results.format") }
        results = Output(path: try Self.string(r, "path", "results"), format: format)
        let e = try root["errors"].map { (v) throws(OnrampError) in try Self.object(v, "errors") } ?? [:]
        try Self.rejectUnknown(e, ["max_failed_ratio", "max_failed", "path"], "errors")
        errors = ErrorPolicy(maxFailedRatio: try Self.number(e, "max_failed_ratio", "errors", range: 0...1),
                             maxFailed: try Self.number(e, "max_failed", "errors", range: 0...Double(Int32.max)).map { Int($0) },
                             path: try Self.string(e, "path", "errors"))
        batchSize = try Self.number(root, "batch_size", "", range: 1...100_000).map { Int($0) } ?? 500
        if let n = root["notify"] {
            let o = try Self.object(n, "notify")
            try Self.rejectUnknown(o, ["url", "secret"], "notify")
            let url = try Self.string(o, "url", "notify", required: true)!
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw OnrampError("spec.url", "must be an http(s) URL", at: "notify.url")
            }
            notify = Notify(url: url, secret: try Self.string(o, "secret", "notify", required: true)!)
        }
    }

    static func join(_ base: String, _ key: String) -> String { base.isEmpty ? key : "\(base).\(key)" }

    static func object(_ v: Value, _ path: String) throws(OnrampError) -> Value.Object {
        guard case .object(let o) = v else {
            throw OnrampError("spec.type", "must be an object, not \(v.typeName)", at: path.isEmpty ? "(document)" : path)
        }
        return o
    }

    static func rejectUnknown(_ o: Value.Object, _ allowed: Set<String>, _ path: String) throws(OnrampError) {
        for k in o.keys where !allowed.contains(k) {
            throw OnrampError("spec.unknown_key", "unknown key; expected one of \(allowed.sorted().joined(separator: ", "))", at: join(path, k))
        }
    }

    static func string(_ o: Value.Object, _ key: String, _ path: String, required: Bool = false) throws(OnrampError) -> String? {
        guard let v = o[key] else {
            if required { throw OnrampError("spec.missing", "required key is missing", at: join(path, key)) }
            return nil
        }
        guard case .string(let s) = v else { throw OnrampError("spec.type", "must be a string, not \(v.typeName)", at: join(path, key)) }
        return s
    }

    static func number(_ o: Value.Object, _ key: String, _ path: String, range: ClosedRange<Double>) throws(OnrampError) -> Double? {
        guard let v = o[key] else { return nil }
        guard case .number(let n) = v else { throw OnrampError("spec.type", "must be a number, not \(v.typeName)", at: join(path, key)) }
        guard range.contains(n) else { throw OnrampError("spec.range", "must be between \(NumberFormatting.javaScript(range.lowerBound)) and \(NumberFormatting.javaScript(range.upperBound))", at: join(path, key)) }
        return n
    }

    static func connector(_ v: Value?, _ path: String, allowIncremental: Bool) throws(OnrampError) -> ConnectorRef {
        guard let v else { throw OnrampError("spec.missing", "required key is missing", at: path) }
        let o = try object(v, path)
        try rejectUnknown(o, allowIncremental ? ["connector", "config", "incremental"] : ["connector", "config"], path)
        let name = try string(o, "connector", path, required: true)!
        let config = o["config"] ?? .object([:])
        _ = try object(config, join(path, "config"))
        return ConnectorRef(connector: name, config: config, incremental: o["incremental"])
    }
}
