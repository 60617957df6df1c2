import Foundation
import OnrampCore
import OnrampStore
#if canImport(Glibc)
import Glibc
#endif

/// Pushed batches at rest: each sealed like a run artifact (bound to its pipeline and batch id) as
/// `push/TENANT/PIPELINE/UUID.sealed`, in the object store when there is one, else under the data directory.
/// Without a sealer (no master key: tests) the bytes are kept plain under the same name.
public struct PushBatchFiles: Sendable {
    let dataDirectory: String
    let sealer: ArtifactSealer?
    let objects: (any ArtifactStore)?

    public init(dataDirectory: String, artifacts: RunArtifacts?) {
        self.dataDirectory = dataDirectory
        sealer = artifacts?.sealer
        objects = artifacts?.objects
    }

    /// Where bodies are received before they are sealed (on the data directory's file system, for the rename).
    var incoming: String { "\(dataDirectory)/push/.incoming" }

    static func context(_ pipelineId: String, _ batchId: String) -> String { "push/\(pipelineId)/\(batchId)" }

    /// Seals the received file at `path` (removing it) and stores it; the object name to record.
    func keep(_ path: String, tenantId: String, pipelineId: String, batchId: String) async throws -> String {
        let name = "push/\(tenantId)/\(pipelineId)/\(UUID().uuidString.lowercased()).sealed"
        var sealed = path
        if let sealer {
            try sealer.seal(path: path, context: Self.context(pipelineId, batchId))
            sealed = path + ".sealed"
        }
        if let objects {
            defer { try? FileManager.default.removeItem(atPath: sealed) }
            try await objects.put(name, file: sealed)
            return name
        }
        let target = "\(dataDirectory)/\(name)"
        let folder = PathText.parent(target)
        let tenantFolder = PathText.parent(folder)
        let created = !FileManager.default.fileExists(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        if created {  // the new folders' own entries are durable too before the batch is acknowledged
            Self.syncDirectory(tenantFolder)
            Self.syncDirectory(PathText.parent(tenantFolder))
        }
        guard rename(sealed, target) == 0 else {
            throw OnrampError("push.io", "cannot move the batch into place: \(String(cString: strerror(errno)))")
        }
        Self.syncDirectory(folder)
        return name
    }

    /// Removes a stored batch that lost a race to the same batch id (best effort).
    func discard(_ name: String) async {
        if let objects { try? await objects.delete(name) } else { try? FileManager.default.removeItem(atPath: "\(dataDirectory)/\(name)") }
    }

    /// Writes the batch's bytes as received to a new file at `path`.
    public func unseal(_ batch: PushBatchRecord, to path: String) async throws {
        var source = "\(dataDirectory)/\(batch.object)"
        var scratch: String?
        defer { scratch.map { try? FileManager.default.removeItem(atPath: $0) } }
        if let objects {
            let fetched = path + ".fetch"
            scratch = fetched
            guard try await objects.get(batch.object, to: fetched) else {
                throw OnrampError("push.missing", "pushed batch \(batch.batchId) is not in \(objects.location)")
            }
            source = fetched
        }
        guard let sealer else {
            try FileManager.default.copyItem(atPath: source, toPath: path)
            return
        }
        let reader = try sealer.reader(path: source, context: Self.context(batch.pipelineId, batch.batchId))
        FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        guard let out = FileHandle(forWritingAtPath: path) else { throw OnrampError("push.io", "cannot write", at: path) }
        defer { try? out.close() }
        while let chunk = try reader.next() { try out.write(contentsOf: chunk) }
    }

    /// Removes bodies left in the incoming folder by a process that stopped while receiving them (older than
    /// `seconds`: another server sharing the folder may be receiving the younger ones); how many it removed.
    public func sweepIncoming(olderThan seconds: TimeInterval, now: Date = Date()) -> Int {
        Self.sweep(incoming, olderThan: seconds, now: now)
    }

    /// Removes what `folder` holds that was last changed more than `seconds` ago; how many.
    static func sweep(_ folder: String, olderThan seconds: TimeInterval, now: Date = Date()) -> Int {
        var removed = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let path = "\(folder)/\(name)"
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                  now.timeIntervalSince(modified) > seconds, (try? FileManager.default.removeItem(atPath: path)) != nil else { continue }
            removed += 1
        }
        return removed
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
