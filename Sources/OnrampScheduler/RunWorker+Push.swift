import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore
import OnrampStore

extension RunWorker {
    /// The push pipeline's batches after its checkpoint (all of them on a full re-sync's first attempt), at most
    /// `pushBatchesPerRun`, unsealed into `folder` for the attempt (removed once it ended).
    func unsealPushed(_ run: RunRecord, attempt: Int, into folder: String) async throws -> [PushedBatch] {
        guard let unsealBatch else {
            throw OnrampError("source.push", "this worker cannot read pushed batches (no key to unseal them)")
        }
        let after = run.fullResync && attempt == 1 ? 0 : PushedBatch.sequence(in: try await store.load(pipeline: run.pipelineId))
        let batches = try await store.pushBatches(pipelineId: run.pipelineId, after: after, limit: options.pushBatchesPerRun)
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var out: [PushedBatch] = []
        var bytes: Int64 = 0
        for batch in batches {
            guard out.isEmpty || bytes + batch.bytes <= options.pushBytesPerRun else { break }
            bytes += batch.bytes
            let path = "\(folder)/\(batch.sequence)\(batch.gzip ? ".gz" : "")"
            do {
                try await unsealBatch(batch, path)
                out.append(PushedBatch(id: batch.batchId, sequence: batch.sequence, path: path))
            } catch {
                // One unreadable batch must not hold back the pipeline: its error is recorded and the run goes on.
                try? FileManager.default.removeItem(atPath: path)
                out.append(PushedBatch(id: batch.batchId, sequence: batch.sequence, path: path, failure: "\(error)"))
            }
        }
        return out
    }

    /// Once a push run ended: the batches it read, up to the committed checkpoint, are marked as processed by it (never
    /// past the last batch it read: the pipeline's next run may have committed further already). When it stopped at a
    /// run's worth and did not fail, the next run is queued for the rest unless one is queued (a failed run leaves them
    /// pending for the next push, schedule or on-demand run, so a destination that is down is not retried in a loop).
    func settlePushed(_ run: RunRecord, read: [PushedBatch], state: RunState, log: Logger) async {
        guard let last = read.last?.sequence else { return }
        do {
            let through = min(last, PushedBatch.sequence(in: try await store.load(pipeline: run.pipelineId)))
            let marked = try await store.markBatches(pipelineId: run.pipelineId, through: through, runId: run.id, at: Date())
            log.info("pushed batches processed", metadata: ["batches": "\(marked)", "through": "\(through)"])
            guard through == last, state != .failed, state != .cancelled,
                  !(try await store.pushBatches(pipelineId: run.pipelineId, after: through, limit: 1)).isEmpty,
                  let latest = try await store.pipeline(id: run.pipelineId, version: nil) else { return }
            if try await Self.queuePushRun(store: store, pipeline: latest) { wake() }
        } catch {
            log.error("could not settle the run's pushed batches", metadata: ["error": "\(error)"])
        }
    }

    /// Queues a run of the push pipeline unless one is queued already (it will read what arrived), held back `window`
    /// seconds so it reads what arrives meanwhile too; replays read failed records, not batches, so they do not count.
    /// Whether it queued one.
    public static func queuePushRun(store: any OnrampStore, pipeline p: PipelineVersion, window: TimeInterval = 0) async throws -> Bool {
        let queued = try await store.runs(tenantId: p.tenantId, pipelineId: p.pipelineId, state: .queued, limit: 20, after: nil)
        // A run held back by a window does not stand in for one wanted now (a backlog's): that one is queued too.
        guard !queued.contains(where: { $0.trigger != RunRecord.replayTrigger && (window > 0 || $0.notBefore == nil) })
        else { return false }
        let now = Date()
        try await store.enqueue(RunRecord(id: UUID().uuidString.lowercased(), tenantId: p.tenantId, pipelineId: p.pipelineId,
                                          pipelineVersion: p.version, trigger: "push", createdAt: now,
                                          notBefore: window > 0 ? now.addingTimeInterval(window) : nil))
        return true
    }
}
