import Foundation
import Hummingbird
import OnrampCore
import OnrampEngine

extension Request {
    /// Media types read as YAML (a pipeline file as it is on disk); anything else is read as JSON.
    static let yamlTypes: Set<String> = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]

    /// A pipeline document: YAML when `Content-Type` says so, else JSON; a 400 naming the line when
    /// it does not parse.
    func documentBody(limit: Int = 4 << 20) async throws -> Value {
        try await documentBodyAndText(limit: limit).document
    }

    /// The document and, when it came as YAML, its text (lint places problems in it).
    func documentBodyAndText(limit: Int = 4 << 20) async throws -> (document: Value, text: String?) {
        let type = headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let type, Self.yamlTypes.contains(type) else { return (try await jsonBody(limit: limit), nil) }
        let buffer = try await collectBody(limit: limit)
        guard let text = String(validating: [UInt8](buffer: buffer), as: UTF8.self) else {
            throw APIError(.badRequest, "bad_yaml", "the body is not UTF-8 text")
        }
        do {
            return (try PipelineLoader.document(text, file: "body"), text)
        } catch let e as OnrampError {
            throw APIError(.badRequest, "bad_yaml", "the body is not a YAML document: \(e.message)", field: e.location)
        }
    }
}
