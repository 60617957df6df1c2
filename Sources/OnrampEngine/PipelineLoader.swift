import Foundation
import OnrampConnectorKit
import OnrampCore
import Yams

/// Reads a pipeline file (YAML or JSON), substitutes `${env:NAME}` in strings, and validates it.
public enum PipelineLoader {
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            registry: ConnectorRegistry? = nil) throws -> PipelineSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OnrampError("file.unreadable", "cannot read the pipeline file", at: path)
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path, environment: environment, registry: registry)
    }

    public static func parse(_ text: String, file: String = "pipeline", environment: [String: String] = [:],
                             registry: ConnectorRegistry? = nil) throws -> PipelineSpec {
        try spec(from: try document(text, file: file), file: file, environment: environment, registry: registry)
    }

    /// Validates a pipeline document already parsed (as the API receives it), after `${env:…}` and
    /// `${secret:…}` substitution. With a registry, `${secret:…}` outside a secret config field is an error.
    public static func spec(from document: Value, file: String = "pipeline", environment: [String: String] = [:],
                            secrets: [String: String] = [:], registry: ConnectorRegistry? = nil,
                            envHint: String = "is not set") throws -> PipelineSpec {
        if let registry {
            do { try Placeholders.checkSecretPlacement(document, registry: registry) } catch let e as OnrampError {
                throw OnrampError(e.code, e.message, at: "\(file): \(e.location ?? "")")
            }
        }
        let substituted = try Placeholders.substitute(document, path: "", values: ["env": environment, "secret": secrets],
                                                      envHint: envHint)
        do {
            return try PipelineSpec(from: substituted)
        } catch {
            throw OnrampError(error.code, error.message, at: "\(file): \(error.location ?? "")")
        }
    }

    /// The document as a `Value` tree, keys in file order.
    public static func document(_ text: String, file: String) throws -> Value {
        let trimmed = text.drop { $0.isWhitespace }
        if trimmed.first == "{" {
            do { return try JSONParser.parse(text) } catch {
                throw OnrampError("spec.syntax", error.message, at: "\(file):\(error.line):\(error.column)")
            }
        }
        do {
            guard let node = try Yams.compose(yaml: text) else { throw OnrampError("spec.empty", "the pipeline file is empty", at: file) }
            var budget = maxNodes
            return try value(node, budget: &budget)
        } catch let e as OnrampError {
            throw e
        } catch let e as YamlError {
            throw OnrampError("spec.syntax", "\(e)", at: file)
        }
    }

    /// Levels a YAML document may nest, as for JSON documents (`JSONParser`): deeper is an error, not a stack overflow.
    static let maxNesting = 512

    /// Nodes a YAML document may expand to: aliases are shared by the YAML parser but copied out here, so
    /// a few hundred bytes of nested aliases ("billion laughs") would otherwise become gigabytes.
    static let maxNodes = 200_000

    static func value(_ node: Node, depth: Int = 0, budget: inout Int) throws -> Value {
        budget -= 1
        guard budget >= 0 else {
            throw OnrampError("spec.too_large", "the YAML document expands to more than \(maxNodes) values (aliases?)",
                              at: "line \(node.mark?.line ?? 0)")
        }
        guard depth < maxNesting else {
            let line = node.mark?.line ?? 0
            throw OnrampError("spec.syntax", "YAML nested deeper than \(maxNesting) levels", at: "line \(line)")
        }
        switch node {
        case .scalar(let s):
            if s.style == .plain {
                if let b = Bool.construct(from: s) { return .bool(b) }
                if let i = Int.construct(from: s) { return .number(Double(i)) }
                if let d = Double.construct(from: s), s.string.range(of: #"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil { return .number(d) }
                if s.string == "null" || s.string == "~" || s.string.isEmpty { return .null }
            }
            return .string(s.string)
        case .mapping(let m):
            var o = Value.Object()
            for (k, v) in m {
                guard case .scalar(let ks) = k else { throw OnrampError("spec.syntax", "mapping keys must be plain text", at: "line \(k.mark?.line ?? 0)") }
                o[ks.string] = try value(v, depth: depth + 1, budget: &budget)
            }
            return .object(o)
        case .sequence(let seq):
            var items: [Value] = []
            for item in seq { items.append(try value(item, depth: depth + 1, budget: &budget)) }
            return .array(items)
        case .alias:
            throw OnrampError("spec.syntax", "YAML aliases are not supported", at: "line \(node.mark?.line ?? 0)")
        }
    }
}
