import Foundation
import OnrampConnectorKit
import OnrampCore

/// A preview as the API hands it to an executor: the tenant's document resolved under the tenant
/// policy, where it may reach, and the preview's own small limits. A `check` or `discover` of one
/// connector (`{side, connector, config, incremental}` as the document) runs the same way, and so does a `test`
/// of a pipeline (`{pipeline, tests}`: its resolved document and a test document; `limit`: records per case).
public struct PreviewRequest: Codable, Sendable {
    public enum Operation: String, Codable, Sendable { case preview, check, discover, test, evaluate }
    /// The resolved pipeline document (or connector reference) as JSON text.
    public var document: String
    /// What to run (nil: a preview).
    public var operation: Operation?
    public var files: FileArea
    public var egress: EgressPolicy
    public var limit: Int
    public var seconds: Double
    public var memoryMiB: Int
    /// A preview that also sends its mapped records to a dry run's target.
    public var dryRun: DryRun?

    public init(document: String, operation: Operation? = nil, files: FileArea, egress: EgressPolicy, limit: Int,
                seconds: Double = 10, memoryMiB: Int = 1024, dryRun: DryRun? = nil) {
        self.dryRun = dryRun
        self.document = document
        self.operation = operation
        self.files = files
        self.egress = egress
        self.limit = limit
        self.seconds = seconds
        self.memoryMiB = memoryMiB
    }
}

/// What a preview answered: its output (JSON text) or the error that stopped it.
public struct PreviewAnswer: Codable, Sendable {
    public var output: String?
    public var code: String?
    public var message: String?
    public var location: String?

    public init(output: String) { self.output = output }

    public init(_ error: OnrampError) {
        code = error.code
        message = error.message
        location = error.location
    }

    /// The output, or the error as thrown.
    public func value() throws -> Value {
        if let output { return try JSONParser.parse(output) }
        throw OnrampError(code ?? "preview.failed", message ?? "the preview failed", at: location)
    }

    /// Runs the preview here and now (in whatever process this is).
    public static func compute(_ request: PreviewRequest, registry: ConnectorRegistry) async -> PreviewAnswer {
        do {
            let document = try JSONParser.parse(request.document)
            let resources = ConnectorResources(files: request.files, egress: request.egress)
            let out: Value
            switch request.operation ?? .preview {
            case .preview:
                let spec = try PipelineSpec(from: document)
                out = try await PipelinePreview.run(spec, registry: registry, resources: resources, limit: request.limit,
                                                    dryRun: request.dryRun)
            case .check:
                let (side, ref) = try connectorRef(document)
                out = try wire(try await registry.check(ref, side: side, resources: resources))
            case .discover:
                let (_, ref) = try connectorRef(document)
                out = ["streams": try wire(try await registry.discover(ref, resources: resources))]
            case .test:
                out = try await PipelineTestRunner.answer(document, registry: registry, resources: resources,
                                                          limit: request.limit)
            case .evaluate:
                out = ExpressionProbe.evaluated(document["expression"]?.stringValue ?? "", on: document["input"])
            }
            return PreviewAnswer(output: JSONWriter.string(out))
        } catch let e as OnrampError {
            return PreviewAnswer(e)
        } catch {
            return PreviewAnswer(OnrampError("preview.failed", "\(error)"))
        }
    }
}

extension PreviewAnswer {
    /// The `{side, connector, config, incremental}` a check or discover names.
    static func connectorRef(_ document: Value) throws -> (ConnectorRegistry.Side, PipelineSpec.ConnectorRef) {
        guard let side = document["side"]?.stringValue.flatMap(ConnectorRegistry.Side.init(rawValue:)),
              let connector = document["connector"]?.stringValue else {
            throw OnrampError("preview.request", "a check names a side and a connector")
        }
        let incremental: Value? = document["incremental"]?.isNull == false ? document["incremental"] : nil
        return (side, PipelineSpec.ConnectorRef(connector: connector, config: document["config"] ?? .object([:]),
                                                incremental: incremental))
    }

    /// A Codable answer as a wire value (snake_case keys as its coding keys give them).
    static func wire(_ value: some Encodable) throws -> Value {
        try JSONParser.parse(Array(try JSONEncoder().encode(value)))
    }
}

/// Runs previews; where (this process, a child process with limits) is the executor's choice.
public protocol PreviewExecutor: Sendable {
    func preview(_ request: PreviewRequest) async -> PreviewAnswer
}

/// Previews in the calling process: for tests and the CLI, where the operator's own input runs.
public struct InProcessPreviewExecutor: PreviewExecutor {
    let registry: ConnectorRegistry
    public init(registry: ConnectorRegistry) { self.registry = registry }
    public func preview(_ request: PreviewRequest) async -> PreviewAnswer {
        await PreviewAnswer.compute(request, registry: registry)
    }
}
