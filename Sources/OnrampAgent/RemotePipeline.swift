import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine

/// The pipeline the platform gives an enrolled agent (`onramp agent --remote-pipeline`): its version, the pipeline
/// document and the seconds between runs, kept in the spool (`remote-pipeline.json`) so a restart without the
/// network runs the last one it had. What it may touch on this machine is the operator's policy, not the
/// platform's: files inside one folder, the environment variables named, the private hosts allowed.
public struct RemotePipeline: Sendable, Equatable {
    public var version: Int
    public var document: Value
    public var everySeconds: Double

    /// Seconds between runs when the platform names none, and the bounds it may name.
    public static let defaultEvery = 300.0
    static let everyRange = 1.0...86_400

    /// What a pipeline from the platform may reach here.
    public struct Policy: Sendable {
        /// The folder its file paths resolve in (and cannot leave).
        public var filesRoot: String
        /// The variables `${env:NAME}` may name; no other of this machine's environment is visible to it.
        public var environment: [String: String]
        public var egress: EgressPolicy

        public init(filesRoot: String, environment: [String: String], egress: EgressPolicy) {
            self.filesRoot = filesRoot
            self.environment = environment
            self.egress = egress
        }
    }

    /// The config as the platform's heartbeat answer gives it (`{"pipeline": …, "every_seconds": …}`).
    public init(version: Int, config: Value) throws {
        guard let document = config["pipeline"], case .object = document else {
            throw OnrampError("agent.config", "the platform's config has no pipeline object", at: "config.pipeline")
        }
        let every = config["every_seconds"]?.numberValue ?? Self.defaultEvery
        guard Self.everyRange.contains(every) else {
            throw OnrampError("agent.config", "every_seconds must be from 1 to 86400", at: "config.every_seconds")
        }
        self.version = version
        self.document = document
        everySeconds = every
    }

    /// The pipeline, validated for this agent: substitutes only the policy's variables, and writes to
    /// `onramp_push` with no settings of its own (it pushes to the server the agent enrolled with, with its key).
    public func spec(registry: ConnectorRegistry, policy: Policy) throws -> PipelineSpec {
        let spec = try PipelineLoader.spec(from: document, file: "remote pipeline v\(version)", environment: policy.environment,
                                           registry: registry, envHint: "is not given to pipelines from the platform "
                                               + "(onramp agent --expose-env)")
        try AgentPipelineRules.check(spec)
        let resources = Self.resources(policy)
        _ = try registry.makeSource(spec.source, resources: resources)
        for step in spec.steps { try RunStep.validate(step, registry: registry, resources: resources) }
        return spec
    }

    static func resources(_ policy: Policy) -> ConnectorResources {
        ConnectorResources(files: .confined(policy.filesRoot), egress: policy.egress)
    }

    static func path(_ spool: String) -> String { "\(spool)/remote-pipeline.json" }

    /// The one kept in `spool` for agent `agentId` (one kept for another enrolment is not this agent's), if any.
    public static func stored(in spool: String, agentId: String) -> RemotePipeline? {
        guard let data = FileManager.default.contents(atPath: path(spool)), let v = try? JSONParser.parse([UInt8](data)),
              v["agent_id"]?.stringValue == agentId, let version = v["version"]?.countValue, let config = v["config"]
        else { return nil }
        return try? RemotePipeline(version: version, config: config)
    }

    func store(in spool: String, agentId: String) throws {
        let v: Value = ["agent_id": .string(agentId), "version": .number(Double(version)),
                        "config": ["pipeline": document, "every_seconds": .number(everySeconds)]]
        try Spool.writeDurably(Data(JSONWriter.string(v).utf8), to: Self.path(spool))
    }
}

/// How many of the runs the platform asked for this agent has done, kept in the spool (`control.json`): a request
/// whose run a crash cut short is still owed after the restart, and one already done is not done twice.
struct RunRequestLedger {
    static func path(_ spool: String) -> String { "\(spool)/control.json" }

    /// The count kept for agent `agentId` (nil: none, or one of another enrolment, 0).
    static func done(in spool: String, agentId: String?) -> Int {
        guard let data = FileManager.default.contents(atPath: path(spool)), let v = try? JSONParser.parse([UInt8](data)),
              v["agent_id"]?.stringValue == agentId else { return 0 }
        return v["run_requests_done"]?.countValue ?? 0
    }

    static func record(_ done: Int, in spool: String, agentId: String?) throws {
        let v: Value = ["agent_id": agentId.map(Value.string) ?? .null, "run_requests_done": .number(Double(done))]
        try Spool.writeDurably(Data(JSONWriter.string(v).utf8), to: path(spool))
    }
}
