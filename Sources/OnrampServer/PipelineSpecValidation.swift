import Foundation
import OnrampCore
import OnrampEngine
import OnrampTransforms

/// Pipeline validation for the API: `${env:…}` and `${secret:…}` references are checked for shape,
/// not resolved, so validation does not depend on the server's environment or a tenant's secrets.
enum PipelineSpecValidation {
    static func spec(_ document: Value) throws -> PipelineSpec {
        var values: [String: [String: String]] = [:]
        for (kind, name) in Placeholders.references(in: document) { values[kind, default: [:]][name] = "placeholder" }
        return try PipelineLoader.spec(from: document, environment: values["env"] ?? [:], secrets: values["secret"] ?? [:])
    }

    static func steps(_ spec: PipelineSpec) throws {
        for s in spec.steps { _ = try StepFactory.make(s) }
    }
}
