import Foundation
import OnrampCore
#if canImport(Glibc)
import Glibc
#endif

/// Batches uploaded in chunks that survive a broken connection (`PATCH /api/v1/push/uploads/{batch}`): each upload is
/// a folder `push/.uploads/TENANT/PIPELINE/BATCH/` of the data directory holding `upload.json` (its length, checksum,
/// key) and one sealed file per chunk received, named by its offset and length, synced and renamed into place before
/// the chunk is acknowledged. The offset is where the chunks end. Once the last one is in, the chunks are opened in
/// order into one file that is stored as a pushed batch is.
struct PushUploads: Sendable {
    let dataDirectory: String
    let sealer: ArtifactSealer?

    /// An upload in progress.
    struct State: Sendable, Equatable {
        var length: Int64
        var offset: Int64
        /// The SHA-256 the client announced (hex), if it did.
        var sha256: String?
        var keyId: String
        var updatedAt: Date
    }

    /// A chunk on disk: where it starts and how many bytes it holds, plain.
    struct Chunk: Comparable {
        var offset: Int64
        var length: Int64
        var name: String { "\(offset)-\(length).chunk" }
        static func < (a: Chunk, b: Chunk) -> Bool { a.offset < b.offset }
    }

    var root: String { "\(dataDirectory)/push/.uploads" }
    /// Where uploads are made before they appear whole, and removed after they disappear whole.
    var staging: String { "\(root)/.staging" }
    /// Chunks one upload may have (so a tenant cannot make a file per byte).
    static let maxChunks = 1024

    func folder(_ tenantId: String, _ pipelineId: String, _ batchId: String) -> String {
        "\(root)/\(tenantId)/\(pipelineId)/\(batchId)"
    }

    static func context(_ pipelineId: String, _ batchId: String, _ chunk: Chunk) -> String {
        "push-upload/\(pipelineId)/\(batchId)/\(chunk.offset)-\(chunk.length)"
    }

    /// The upload's state, nil when there is none.
    func state(at folder: String) -> State? {
        guard let data = FileManager.default.contents(atPath: "\(folder)/upload.json"),
              let v = try? JSONParser.parse([UInt8](data)), let length = v["length"]?.numberValue.flatMap(Int64.init(exactly:)),
              length > 0, let keyId = v["key_id"]?.stringValue else { return nil }
        let modified = (try? FileManager.default.attributesOfItem(atPath: "\(folder)/upload.json"))?[.modificationDate] as? Date
        return State(length: length, offset: chunks(at: folder).last.map { $0.offset + $0.length } ?? 0,
                     sha256: v["sha256"]?.stringValue, keyId: keyId, updatedAt: modified ?? Date())
    }

    /// The chunks received, in order; only the ones that follow each other from 0 count (a stray one is ignored).
    func chunks(at folder: String) -> [Chunk] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let all = names.compactMap { name -> Chunk? in
            guard name.hasSuffix(".chunk") else { return nil }
            let parts = name.dropLast(6).split(separator: "-")
            guard parts.count == 2, let o = Int64(parts[0]), let l = Int64(parts[1]), o >= 0, l > 0 else { return nil }
            return Chunk(offset: o, length: l)
        }.sorted()
        var out: [Chunk] = []
        for c in all where c.offset == (out.last.map { $0.offset + $0.length } ?? 0) { out.append(c) }
        return out
    }

    /// Starts an upload: its folder with `upload.json` is made aside and renamed into place whole, so an upload is
    /// there with its length or not at all; nothing when another request started it meanwhile. A folder without
    /// `upload.json` (a removal cut short) is cleared first.
    func begin(at folder: String, length: Int64, sha256: String?, keyId: String) throws {
        let made = "\(staging)/\(UUID().uuidString.lowercased())"
        let parent = PathText.parent(folder)
        for path in [made, parent] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        defer { try? FileManager.default.removeItem(atPath: made) }
        if FileManager.default.fileExists(atPath: folder), !FileManager.default.fileExists(atPath: "\(folder)/upload.json") {
            remove(at: folder)
        }
        var meta: Value.Object = ["length": .number(Double(length)), "key_id": .string(keyId)]
        if let sha256 { meta["sha256"] = .string(sha256) }
        try DurableFile.write(Data(JSONWriter.string(.object(meta)).utf8), to: "\(made)/upload.json", code: "push.io")
        guard rename(made, folder) == 0 else {
            if errno == EEXIST || errno == ENOTEMPTY { return }
            throw OnrampError("push.io", "cannot start the upload: \(String(cString: strerror(errno)))", at: folder)
        }
        // The new entries up to the uploads folder are durable too.
        for path in [parent, PathText.parent(parent), root, staging] { PushBatchFiles.syncDirectory(path) }
    }

    /// Takes the upload's lock (nil when another request holds it: one chunk at a time per upload, on any server
    /// sharing the data directory); the lock goes with the returned descriptor (`close`).
    func lock(at folder: String) -> Int32? {
        let fd = open("\(folder)/upload.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Adds the chunk received at `path` (removing it): sealed, synced and renamed into place. Call it holding the
    /// upload's lock, with `chunk.offset` where the upload stands.
    func append(_ path: String, at folder: String, chunk: Chunk, pipelineId: String, batchId: String) throws {
        var sealed = path
        if let sealer {
            try sealer.seal(path: path, context: Self.context(pipelineId, batchId, chunk))
            sealed = path + ".sealed"
        }
        guard rename(sealed, "\(folder)/\(chunk.name)") == 0 else {
            unlink(sealed)
            throw OnrampError("push.io", "cannot move the chunk into place: \(String(cString: strerror(errno)))")
        }
        PushBatchFiles.syncDirectory(folder)
        utimes("\(folder)/upload.json", nil)  // the upload is alive: its expiry counts from now
    }

    /// The chunks opened in order into a new file at `path`: its size, SHA-256 and whether it is gzip.
    func assemble(at folder: String, into path: String, pipelineId: String, batchId: String) throws
        -> (bytes: Int64, sha256: String, gzip: Bool) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OnrampError("push.io", "cannot create the batch file", at: path) }
        var isOpen = true
        defer { if isOpen { close(fd) } }
        var digest = BatchDigest()
        var size: Int64 = 0
        do {
            for chunk in chunks(at: folder) {
                let file = "\(folder)/\(chunk.name)"
                var length: Int64 = 0
                func take(_ part: Data) throws {
                    try part.withUnsafeBytes { bytes in
                        digest.update(bytes)
                        try OnrampAPI.writeAll(fd, bytes)
                    }
                    length += Int64(part.count)
                }
                if let sealer {
                    let reader = try sealer.reader(path: file, context: Self.context(pipelineId, batchId, chunk))
                    while let part = try reader.next() { try take(part) }
                } else {
                    guard let input = FileHandle(forReadingAtPath: file) else {
                        throw OnrampError("push.io", "cannot read the chunk", at: file)
                    }
                    defer { try? input.close() }
                    while case let part = input.readData(ofLength: 1 << 20), !part.isEmpty { try take(part) }
                }
                guard length == chunk.length else {
                    throw OnrampError("push.upload_damaged", "chunk \(chunk.name) of upload \(batchId) holds \(length) bytes")
                }
                size += length
            }
            guard fsync(fd) == 0 else { throw OnrampError("push.io", "cannot sync the batch file", at: path) }
            isOpen = false
            close(fd)
        } catch {
            unlink(path)
            throw error
        }
        let (sha256, gzip) = digest.finish()
        return (size, sha256, gzip)
    }

    /// Removes the upload whole: renamed out of place first, so a removal cut short leaves no half upload behind.
    func remove(at folder: String) {
        let gone = "\(staging)/\(UUID().uuidString.lowercased())"
        try? FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        if rename(folder, gone) == 0 {
            PushBatchFiles.syncDirectory(PathText.parent(folder))
            try? FileManager.default.removeItem(atPath: gone)
        } else {
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    /// The bytes the tenant's uploads in progress will hold when they are done.
    func pendingBytes(tenantId: String) -> Int64 {
        uploads(tenantId: tenantId).reduce(0) { $0 + (state(at: $1)?.length ?? 0) }
    }

    /// The folders of the tenant's uploads.
    func uploads(tenantId: String) -> [String] {
        let tenant = "\(root)/\(tenantId)"
        return ((try? FileManager.default.contentsOfDirectory(atPath: tenant)) ?? []).flatMap { pipeline in
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(tenant)/\(pipeline)")) ?? []).map { "\(tenant)/\(pipeline)/\($0)" }
        }
    }

    /// Uploads in progress for the tenant.
    func count(tenantId: String) -> Int { uploads(tenantId: tenantId).count }

    /// Removes uploads no chunk has reached for `seconds` (abandoned; the client starts again), skipping one a request
    /// is sending to, and what a stopped server left in the staging folder; how many uploads.
    func sweep(olderThan seconds: TimeInterval, tenantId: String? = nil, now: Date = Date()) -> Int {
        let tenants = tenantId.map { [$0] } ?? ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { $0 != ".staging" }
        if tenantId == nil { _ = PushBatchFiles.sweep(staging, olderThan: 3600, now: now) }
        var removed = 0
        for folder in tenants.flatMap(uploads(tenantId:)) {
            let updated = state(at: folder)?.updatedAt
                ?? ((try? FileManager.default.attributesOfItem(atPath: folder))?[.modificationDate] as? Date)
            guard let updated, now.timeIntervalSince(updated) > seconds else { continue }
            let fd = lock(at: folder)
            if fd == nil, FileManager.default.fileExists(atPath: "\(folder)/upload.json") { continue }  // busy
            remove(at: folder)
            fd.map { _ = close($0) }
            removed += 1
        }
        return removed
    }
}
