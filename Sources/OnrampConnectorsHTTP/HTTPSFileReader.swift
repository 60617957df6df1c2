import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampFileFormats

/// Downloads the source's URLs one at a time into a scratch folder (removed on close) and parses each
/// with the format's reader. Incremental: the checkpoint maps each URL to the ETag and Last-Modified
/// it was read at; the batch that ends a file carries it.
struct HTTPSFileReader: BatchReader {
    let source: HTTPSFileSource
    var pending: [HTTPSFileSource.Target]
    let batchSize: Int
    var checkpoint: Value?
    var scratch: String?
    var current: (reader: any BatchReader, path: String)?
    var downloads = 0

    mutating func next() async throws -> SourceBatch? {
        while true {
            try Task.checkCancellation()
            if current != nil {
                if let batch = try await current!.reader.next() {
                    if let c = batch.checkpoint { checkpoint = c }
                    return batch
                }
                await closeCurrent()
                continue
            }
            guard !pending.isEmpty else { return nil }
            let target = pending.removeFirst()
            if let batch = try await start(target) { return batch }
        }
    }

    private mutating func start(_ target: HTTPSFileSource.Target) async throws -> SourceBatch? {
        let prior = checkpoint?["urls"]?[target.url]
        let conditional = prior.map { (etag: $0["etag"]?.stringValue, lastModified: $0["last_modified"]?.stringValue) }
        let folder = try scratchFolder()
        downloads += 1
        let path = "\(folder)/\(downloads)"
        let answer: HTTPSFileSource.Answer
        do {
            answer = try await source.fetch(target, conditional: conditional, to: path)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        switch answer {
        case .unchanged:
            return nil
        case .missing:
            try? FileManager.default.removeItem(atPath: path)
            return SourceBatch(errors: [RecordError(stage: .extract, position: SourcePosition(file: target.url),
                                                    code: "https_file.not_found", message: "the URL answered HTTP 404")])
        case .downloaded(let etag, let lastModified):
            let stamp: Value.Object = ["etag": etag.map(Value.string) ?? .null,
                                       "last_modified": lastModified.map(Value.string) ?? .null]
            let input = FileInput(path: path, name: target.url, fingerprint: JSONWriter.string(.object(stamp)))
            let remember: FileCheckpointing = { prior, file in
                var urls = prior?["urls"]?.objectValue ?? [:]
                urls[file.name] = (try? JSONParser.parse(file.fingerprint)) ?? .null
                return .object(["urls": .object(urls)])
            }
            let checkpointing = checkpoint == nil ? nil : remember
            current = (source.format.reader(files: [input], batchSize: batchSize, checkpoint: checkpoint,
                                            checkpointing: checkpointing, reportsProgress: false), path)
            return nil
        }
    }

    private mutating func scratchFolder() throws -> String {
        if let scratch { return scratch }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-https-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw OnrampError("https_file.scratch", "cannot create a scratch folder for downloads")
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

    mutating func close() async {
        await closeCurrent()
        pending = []
        if let scratch { try? FileManager.default.removeItem(atPath: scratch) }
        scratch = nil
    }
}
