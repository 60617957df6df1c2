import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore

/// `onramp_push`: on the edge agent, the pipeline's records go to the agent's spool (and from there to the platform's
/// push API); every record is acknowledged once its segment is on disk. A full spool, or a full disk, pauses the run
/// here until the pusher frees space. Anywhere else (`onramp run`, a server) it has no spool and refuses to write.
struct SpoolDestination: Destination {
    let spool: Spool?
    let logger: Logger

    func write(_ records: [Record]) async throws -> [RecordOutcome] {
        guard let spool else {
            throw OnrampError("onramp_push.no_spool", "onramp_push writes to the edge agent's spool: run this pipeline with "
                              + "`onramp agent`", at: "destination.connector")
        }
        guard !records.isEmpty else { return [] }
        let lines = records.map { JSONWriter.string($0.value) }
        while true {
            do {
                _ = try await spool.append(lines)
                return records.map { _ in .ok(result: nil) }
            } catch let e as OnrampError where e.code == "spool.full_disk" {
                logger.warning("the spool's disk is full; the source is paused until space is freed", metadata: ["spool": "\(spool.directory)"])
                try await Task.sleep(for: .seconds(5))
            }
        }
    }

    static let name = "onramp_push"

    /// The spec; `spool` is the agent's (nil outside the agent: the pipeline validates, but does not run).
    static func spec(spool: Spool?) -> DestinationSpec {
        DestinationSpec(
            name: name, summary: "On the edge agent: spools the records on disk and pushes them to the platform (docs/push.md).",
            configSchema: ["type": "object", "additionalProperties": false, "required": ["server"], "properties": [
                "server": ["type": "string", "minLength": 1, "title": "Platform",
                           "description": "The Onramp server's base URL", "examples": ["https://onramp.example"]],
                "push_key": ["type": "string", "minLength": 1, "x-secret": true, "format": "password", "title": "Push key",
                             "description": "The pipeline's push key (onp_…); default: $ONRAMP_PUSH_KEY",
                             "examples": ["${env:ONRAMP_PUSH_KEY}"]],
                "ca_file": ["type": "string", "minLength": 1, "title": "CA file",
                            "description": "PEM file of the CA certificates to trust for HTTPS instead of the system's"],
            ]],
            build: { _, resources in SpoolDestination(spool: spool, logger: resources.logger) })
    }
}

/// The agent's checkpoints, kept in the spool's state: the pipeline's own checkpoint (`key`) makes the segments
/// written before it pushable in the same write, so a checkpoint never runs ahead of what the spool holds.
struct SpoolCheckpoints: CheckpointStore {
    let spool: Spool
    let key: String

    func load(pipeline: String) async throws -> Value? { await spool.checkpoint(pipeline) }
    func commit(pipeline: String, checkpoint: Value) async throws {
        try await spool.commit(pipeline, checkpoint, advancing: pipeline == key)
    }
    func reset(pipeline: String) async throws { try await spool.commit(pipeline, nil, advancing: false) }
}

public enum AgentConnectors {
    /// Registers `onramp_push` with no spool, so pipelines meant for the agent validate and lint everywhere.
    public static func register(into registry: inout ConnectorRegistry) {
        registry.register(SpoolDestination.spec(spool: nil))
    }
}
