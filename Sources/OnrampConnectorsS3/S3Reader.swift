import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore
import OnrampFileFormats

/// Reads objects one at a time: downloads the next to a scratch folder, parses it with the format's
/// reader, deletes it, goes on. With `incremental`, the batch that ends an object carries the
/// checkpoint with that object's key -> ETag:size. `after_read` runs for an object at the first `next`
/// after the call that finished it (its records delivered, and its checkpoint normally committed), or at
/// the end of input: a preview's single `next` leaves objects alone unless none of them had a record.
struct S3Reader: BatchReader {
    let client: S3Client
    let format: FileFormat
    var objects: [S3Client.Object]
    let batchSize: Int
    var checkpoint: Value?
    let incremental: Bool
    let maxObjectBytes: Int64
    let afterRead: S3Source.Config.AfterRead?
    let logger: Logger
    /// The listed prefix: a moved object keeps its key after it.
    let listPrefix: String
    var scratch: String?
    var current: (reader: any BatchReader, object: S3Client.Object, path: String)?
    var downloads = 0
    /// Objects read to their end in an earlier call, waiting for `after_read`.
    var finished: [S3Client.Object] = []
    /// The opening checkpoint dropped keys no longer listed: hand it out even if no object is read.
    var announce: Bool

    init(client: S3Client, format: FileFormat, objects: [S3Client.Object], batchSize: Int, checkpoint: Value?,
         incremental: Bool, maxObjectBytes: Int64, afterRead: S3Source.Config.AfterRead?, logger: Logger,
         listPrefix: String, announce: Bool = false) {
        self.listPrefix = listPrefix
        self.announce = announce
        self.client = client
        self.format = format
        self.objects = objects
        self.batchSize = batchSize
        self.checkpoint = checkpoint
        self.incremental = incremental
        self.maxObjectBytes = maxObjectBytes
        self.afterRead = afterRead
        self.logger = logger
    }

    static func fingerprint(_ object: S3Client.Object) -> String { "\(object.etag):\(object.size)" }

    mutating func next() async throws -> SourceBatch? {
        await runAfterRead()
        while true {
            try Task.checkCancellation()
            if current != nil {
                if let batch = try await current!.reader.next() {
                    if let c = batch.checkpoint { checkpoint = c; announce = false }
                    return batch
                }
                finished.append(current!.object)
                await closeCurrent()
                continue
            }
            guard !objects.isEmpty else {
                await runAfterRead()
                if announce, let checkpoint {
                    announce = false
                    return SourceBatch(checkpoint: checkpoint)
                }
                return nil
            }
            let object = objects.removeFirst()
            if let batch = try await start(object) { return batch }
        }
    }

    /// Downloads `object` and opens its reader; an object that cannot be read is a batch with its error.
    private mutating func start(_ object: S3Client.Object) async throws -> SourceBatch? {
        let uri = client.uri(object.key)
        if object.size > maxObjectBytes {
            return skipped(object, code: "s3.too_large", message: "object is \(object.size) bytes, larger than "
                           + "max_object_bytes (\(maxObjectBytes))")
        }
        let folder = try scratchFolder()
        downloads += 1
        let path = "\(folder)/\(downloads)"
        do {
            _ = try await client.download(object.key, to: path, maxBytes: maxObjectBytes)
        } catch let e as OnrampError where e.code == "s3.no_key" || e.code == "s3.too_large" {
            try? FileManager.default.removeItem(atPath: path)
            // A key deleted since the listing is not remembered: should it come back, it is read then.
            return e.code == "s3.no_key" ? SourceBatch(errors: [error(object, e.code, e.message)])
                : skipped(object, code: e.code, message: e.message)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        let input = FileInput(path: path, name: uri, fingerprint: Self.fingerprint(object))
        let bucketPrefix = client.uri("").count
        let remember: FileCheckpointing = { prior, file in
            var objects = prior?["objects"]?.objectValue ?? [:]
            objects[String(file.name.dropFirst(bucketPrefix))] = .string(file.fingerprint)
            return .object(["objects": .object(objects)])
        }
        let checkpointing = incremental ? remember : nil
        current = (format.reader(files: [input], batchSize: batchSize, checkpoint: checkpoint, checkpointing: checkpointing,
                                 reportsProgress: false), object, path)
        return nil
    }

    /// An error record for an object that is not read, with the checkpoint past it (it is not retried
    /// until it changes).
    private mutating func skipped(_ object: S3Client.Object, code: String, message: String) -> SourceBatch {
        var batch = SourceBatch(errors: [error(object, code, message)])
        if incremental {
            var seen = checkpoint?["objects"]?.objectValue ?? [:]
            seen[object.key] = .string(Self.fingerprint(object))
            checkpoint = .object(["objects": .object(seen)])
            batch.checkpoint = checkpoint
        }
        return batch
    }

    private func error(_ object: S3Client.Object, _ code: String, _ message: String) -> RecordError {
        RecordError(stage: .extract, position: SourcePosition(file: client.uri(object.key)), code: code, message: message)
    }

    private mutating func scratchFolder() throws -> String {
        if let scratch { return scratch }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-s3-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw OnrampError("s3.scratch", "cannot create a scratch folder for downloads: \(error.localizedDescription)")
        }
        scratch = path
        return path
    }

    private mutating func closeCurrent() async {
        guard var c = current else { return }
        current = nil
        await c.reader.close()
        try? FileManager.default.removeItem(atPath: c.path)
    }

    /// Moves or tags the finished objects. A failure is logged, not fatal: the records were delivered.
    private mutating func runAfterRead() async {
        let done = finished
        finished = []
        guard let afterRead else { return }
        for object in done { await apply(afterRead, to: object) }
    }

    private func apply(_ afterRead: S3Source.Config.AfterRead, to object: S3Client.Object) async {
        do {
            if let tags = afterRead.tag {
                try await client.tag(object.key, tags.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            }
            if let target = afterRead.moveToPrefix {
                var rest = object.key.hasPrefix(listPrefix) ? object.key.dropFirst(listPrefix.count) : object.key[...]
                if target.hasSuffix("/") { rest = rest.drop { $0 == "/" } }
                try await client.copy(object.key, to: target + rest)
                try await client.delete(object.key)
            }
        } catch {
            logger.error("after_read failed", metadata: ["object": "\(client.uri(object.key))", "reason": "\(error)"])
        }
    }

    mutating func close() async {
        await closeCurrent()
        objects = []
        finished = []
        if let scratch { try? FileManager.default.removeItem(atPath: scratch) }
        scratch = nil
    }
}
