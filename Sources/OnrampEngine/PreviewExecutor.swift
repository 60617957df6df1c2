import Foundation
import OnrampConnectorKit
import OnrampCore

/// A preview as the API hands it to an executor: the tenant's document resolved under the tenant
/// policy, where it may reach, and the preview's own small limits.
public struct PreviewRequest: Codable, Sendable {
    /// The resolved pipeline document as JSON text.
    public var document: String
    public var files: FileArea
    public var egress: EgressPolicy
    public var limit: Int
    public var seconds: Double
    public var memoryMiB: Int

    public init(document: String, files: FileArea, egress: EgressPolicy, limit: Int, seconds: Double = 10, memoryMiB: Int = 1024) {
        self.document = document
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
            let spec = try PipelineSpec(from: try JSONParser.parse(request.document))
            let resources = ConnectorResources(files: request.files, egress: request.egress)
            let out = try await PipelinePreview.run(spec, registry: registry, resources: resources, limit: request.limit)
            return PreviewAnswer(output: JSONWriter.string(out))
        } catch let e as OnrampError {
            return PreviewAnswer(e)
        } catch {
            return PreviewAnswer(OnrampError("preview.failed", "\(error)"))
        }
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
