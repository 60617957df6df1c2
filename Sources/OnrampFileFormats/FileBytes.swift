import Foundation

/// A file's bytes in chunks of about 256 KiB: as stored, or decompressed when gzip (`compression`, or the
/// `.gz` suffix when `auto`), with decompressed output capped at `limit` bytes.
struct FileBytes: @unchecked Sendable {
    static let chunk = 1 << 18
    private let handle: FileHandle
    private let inflater: Inflater?
    private let counter: ReadCounter?

    init(path: String, compression: Compression, limit: Int64, counter: ReadCounter? = nil) throws(FileReadError) {
        self.counter = counter
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FileReadError("source.unreadable", "cannot open file")
        }
        self.handle = handle
        do throws(FileReadError) {
            inflater = compression.isGzip(path) ? try Inflater(gzip: true, limit: limit) : nil
        } catch {
            try? handle.close()
            throw error
        }
    }

    /// The next chunk, or nil at the end of the file.
    mutating func read() throws(FileReadError) -> [UInt8]? {
        guard let inflater else {
            let data = handle.readData(ofLength: Self.chunk)
            counter?.add(data.count)
            return data.isEmpty ? nil : [UInt8](data)
        }
        while true {
            let out = try inflater.drain(max: Self.chunk)
            if !out.isEmpty { return out }
            let data = handle.readData(ofLength: Self.chunk)
            counter?.add(data.count)
            if data.isEmpty {
                guard inflater.isAtEnd else {
                    throw FileReadError("gzip.truncated", "the compressed file ends early (truncated?)")
                }
                return nil
            }
            inflater.feed([UInt8](data))
        }
    }

    /// The whole (decompressed) file; for formats that parse whole documents.
    mutating func readAll() throws(FileReadError) -> [UInt8] {
        var all: [UInt8] = []
        while let c = try read() { all.append(contentsOf: c) }
        return all
    }

    func close() { try? handle.close() }
}

/// Whether file sources gunzip their files: `auto` by the `.gz` suffix.
public enum Compression: String, Sendable, CaseIterable {
    case auto, gzip, none

    func isGzip(_ path: String) -> Bool {
        self == .gzip || self == .auto && path.lowercased().hasSuffix(".gz")
    }
}
