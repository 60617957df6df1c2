import Foundation
import ZIPFoundation

/// A zip entry's bytes, decompressed by ZIPFoundation on a helper thread and handed over in chunks (at most two
/// waiting), so a large entry streams in flat memory. More than `limit` bytes out is an error (zip bombs).
/// `cancel()` ends the helper thread at its next chunk; call it when the reader stops early.
final class ZipEntryStream: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [Data] = []
    private var done = false
    private var failure: FileReadError?
    private var cancelled = false

    /// Starts decompressing `entry` of the archive at `path` (opened again: the helper thread owns its handle).
    init(path: String, entry: String, limit: Int64) throws(FileReadError) {
        let archive = try ZipParts.open(path)
        guard let found = archive[entry] else { throw FileReadError("xlsx.corrupt", "the workbook has no part \(entry)") }
        let job = UncheckedBox((archive, found))
        let thread = Thread { [self] in
            var total: Int64 = 0
            do {
                _ = try job.value.0.extract(job.value.1, bufferSize: 1 << 18) { data in
                    total += Int64(data.count)
                    if total > limit { throw ZipParts.tooLarge(entry, limit) }
                    condition.lock()
                    defer { condition.unlock() }
                    while chunks.count >= 2 && !cancelled { condition.wait() }
                    if cancelled { throw CancellationError() }
                    chunks.append(data)
                    condition.broadcast()
                }
                end(nil)
            } catch let e as FileReadError {
                end(e)
            } catch is CancellationError {
                end(nil)
            } catch {
                end(FileReadError("xlsx.corrupt", "cannot decompress \(entry): \(error)"))
            }
        }
        thread.start()
    }

    private func end(_ error: FileReadError?) {
        condition.lock()
        failure = error
        done = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk, or nil at the end of the entry.
    func read() throws(FileReadError) -> [UInt8]? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !done { condition.wait() }
        if !chunks.isEmpty {
            let data = chunks.removeFirst()
            condition.broadcast()
            return [UInt8](data)
        }
        if let failure { throw failure }
        return nil
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Small workbook parts read whole (through a consumer, capped) and the zip helpers around them.
enum ZipParts {
    static func open(_ path: String) throws(FileReadError) -> Archive {
        do {
            return try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw FileReadError("xlsx.not_zip", "not an XLSX workbook (not a zip archive; an .xls or encrypted file? "
                                + "save it as .xlsx)")
        }
    }

    static func tooLarge(_ entry: String, _ limit: Int64) -> FileReadError {
        FileReadError("file.too_large", "\(entry) decompresses to more than \(limit) bytes (the limit); "
                      + "raise max_uncompressed_mb if the workbook is genuine")
    }

    /// Streams the part at `entry` through a tokenizer, calling `handle` for each event with the open elements;
    /// false when the part is absent.
    @discardableResult
    static func parse(_ archive: Archive, _ entry: String, limit: Int64,
                      _ handle: (XMLTokenizer.Event, [String]) throws(FileReadError) -> Void) throws(FileReadError) -> Bool {
        guard let found = archive[entry] else { return false }
        var tokenizer = XMLTokenizer()
        var total: Int64 = 0
        func drain() throws(FileReadError) {
            do {
                while let event = try tokenizer.next() { try handle(event, tokenizer.openElements) }
            } catch let failure as XMLTokenizer.Failure {
                throw FileReadError("xlsx.corrupt", "\(entry) is not well-formed XML: \(failure)")
            } catch let e as FileReadError {
                throw e
            } catch {
                throw FileReadError("xlsx.corrupt", "\(entry): \(error)")
            }
        }
        do {
            _ = try archive.extract(found, bufferSize: 1 << 18) { data in
                total += Int64(data.count)
                if total > limit { throw tooLarge(entry, limit) }
                tokenizer.feed(data)
                try drain()
            }
        } catch let e as FileReadError {
            throw e
        } catch {
            throw FileReadError("xlsx.corrupt", "cannot decompress \(entry): \(error)")
        }
        tokenizer.finish()
        try drain()
        return true
    }
}

/// Hands a non-Sendable value to the one thread that uses it from then on.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// An element or attribute name without its namespace prefix.
func localName(_ name: String) -> Substring {
    guard let colon = name.lastIndex(of: ":") else { return Substring(name) }
    return name[name.index(after: colon)...]
}
