import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore
import OnrampEngine

/// `onramp_push`: on the edge agent, the pipeline's records go to the agent's spool (and from there to the platform's
/// push API); every record is acknowledged once its segment is on disk. A full spool, or a full disk, pauses the run
/// here until the pusher frees space. Anywhere else (`onramp run`, a server) it has no spool and refuses to write.
struct SpoolDestination: Destination {
    let spool: Spool?
    let logger: Logger
    var shouldStop: @Sendable () -> Bool = { false }
    /// Records of one segment at most, by bytes (a larger batch is several segments).
    static let segmentBytes = 8 << 20

    func write(_ records: [Record]) async throws -> [RecordOutcome] {
        guard let spool else {
            throw OnrampError("onramp_push.no_spool", "onramp_push writes to the edge agent's spool: run this pipeline with "
                              + "`onramp agent`", at: "destination.connector")
        }
        guard !records.isEmpty else { return [] }
        var segments: [[String]] = [[]]
        var size = 0
        for record in records {
            let line = JSONWriter.string(record.value)
            if size + line.utf8.count > Self.segmentBytes, !segments[segments.count - 1].isEmpty {
                segments.append([])
                size = 0
            }
            segments[segments.count - 1].append(line)
            size += line.utf8.count + 1
        }
        for lines in segments {
            while true {
                do {
                    _ = try await spool.append(lines, shouldStop: shouldStop)
                    break
                } catch let e as OnrampError where e.code == "spool.full_disk" {
                    logger.warning("the spool's disk is full; the source is paused until space is freed",
                                   metadata: ["spool": "\(spool.directory)"])
                    if shouldStop() { throw OnrampError("agent.stopped", "the agent is stopping") }
                    try await Task.sleep(for: .seconds(5))
                }
            }
        }
        return records.map { _ in .ok(result: nil) }
    }

    static let name = AgentPipelineRules.destination

    /// The spec; `spool` is the agent's (nil outside the agent: the pipeline validates, but does not run).
    static func spec(spool: Spool?, shouldStop: @escaping @Sendable () -> Bool = { false }) -> DestinationSpec {
        DestinationSpec(
            name: name, summary: "On the edge agent: spools the records on disk and pushes them to the platform (docs/push.md).",
            configSchema: ["type": "object", "additionalProperties": false, "properties": [
                "server": ["type": "string", "minLength": 1, "title": "Platform",
                           "description": "The Onramp server's base URL (default: the one the agent enrolled with)",
                           "examples": ["https://onramp.example"]],
                "push_key": ["type": "string", "minLength": 1, "format": "password", "title": "Push key",
                             "description": "The pipeline's push key (onp_…); default: $ONRAMP_PUSH_KEY, else the enrolled agent's",
                             "examples": ["${env:ONRAMP_PUSH_KEY}"]],
                "ca_file": ["type": "string", "minLength": 1, "title": "CA file",
                            "description": "PEM file of the CA certificates to trust for HTTPS instead of the system's"],
            ]],
            build: { _, resources in SpoolDestination(spool: spool, logger: resources.logger, shouldStop: shouldStop) })
    }
}

/// The agent's checkpoints, kept in the spool's state and written with the next segment: the pipeline's own
/// checkpoint (`key`) makes the segments written before it pushable in that same write, and steps' memories go with
/// it, so neither runs ahead of (or behind) what the spool holds.
struct SpoolCheckpoints: CheckpointStore {
    let spool: Spool
    let key: String

    func load(pipeline: String) async throws -> Value? { await spool.checkpoint(pipeline) }
    func commit(pipeline: String, checkpoint: Value) async throws {
        await spool.commit(pipeline, checkpoint, advancing: pipeline == key)
    }
    func reset(pipeline: String) async throws { await spool.commit(pipeline, nil, advancing: false) }
}

public enum AgentConnectors {
    /// Registers `onramp_push` with no spool, so pipelines meant for the agent validate and lint everywhere.
    public static func register(into registry: inout ConnectorRegistry) {
        registry.register(SpoolDestination.spec(spool: nil))
    }
}
