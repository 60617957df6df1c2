import OnrampCore

/// A pipeline template that ships with the binary: a starting point for onboarding a customer whose ERP exports
/// in a common shape, with `${param:NAME}` blanks that the onboarding fills in.
public struct StarterTemplate: Sendable {
    public struct Parameter: Sendable {
        public let name: String
        public let description: String
        public let example: String
    }

    public let name: String
    public let description: String
    public let parameters: [Parameter]
    /// The pipeline document as YAML, with `${param:…}` blanks (and `${secret:TAXMAN_API_KEY}` for the key).
    public let yaml: String

    /// The parsed document, blanks left in.
    public func document() throws -> Value { try PipelineLoader.document(yaml, file: "template \(name)") }

    /// The document with `values` in its blanks: every parameter is needed, and no other.
    public func filled(_ values: [String: String]) throws -> Value {
        let wanted = Set(parameters.map(\.name))
        if let unknown = values.keys.sorted().first(where: { !wanted.contains($0) }) {
            throw OnrampError("template.unknown_parameter", "the template has no parameter \(unknown)", at: "parameters.\(unknown)")
        }
        if let missing = parameters.first(where: { values[$0.name] == nil }) {
            throw OnrampError("template.missing_parameter", "the template needs \(missing.name): \(missing.description)",
                              at: "parameters.\(missing.name)")
        }
        return try Placeholders.substitute(try document(), values: ["param": values], leaving: ["env", "secret"])
    }
}
