import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampTransforms

/// Pipeline validation for the API: `${env:…}` and `${secret:…}` references are checked for shape,
/// not resolved, so validation does not depend on the server's environment or a tenant's secrets.
enum PipelineSpecValidation {
    static func spec(_ document: Value) throws -> PipelineSpec {
        var values: [String: [String: String]] = [:]
        for (kind, name) in Placeholders.references(in: document) { values[kind, default: [:]][name] = "placeholder" }
        let filled = try Placeholders.substitute(document, values: ["param": values["param"] ?? [:]], leaving: ["env", "secret"])
        return try PipelineLoader.spec(from: filled, environment: values["env"] ?? [:], secrets: values["secret"] ?? [:])
    }

    static func step(_ step: PipelineSpec.StepSpec, registry: ConnectorRegistry, resources: ConnectorResources) throws {
        try RunStep.validate(step, registry: registry, resources: resources)
    }
}
