import OnrampConnectorKit
import OnrampCore

/// Reads XML files as a stream (256 KiB chunks through `XMLTokenizer`): the records at the records path, mapped
/// by `XMLRecordMapper`. A record-level error skips that record; malformed structure ends the file with one error
/// naming line and column, the records before it kept.
struct XMLReader: BatchReader {
    private struct Open {
        var entry: FileInput
        var bytes: FileBytes
        var tokenizer: XMLTokenizer
        var mapper: XMLRecordMapper
        var transcode: TextEncoding?
        var started = false
    }

    let options: XMLOptions
    let input: InputOptions
    var files: [FileInput]
    var progress: FileProgress
    let batchSize: Int
    private var current: Open?

    init(options: XMLOptions, input: InputOptions, files: [FileInput], progress: FileProgress, batchSize: Int) {
        self.options = options
        self.input = input
        self.files = files
        self.progress = progress
        self.batchSize = batchSize
    }

    mutating func next() async throws -> SourceBatch? {
        var batch = SourceBatch()
        while batch.records.count + batch.errors.count < batchSize {
            if current == nil {
                guard !files.isEmpty else { break }
                let entry = files.removeFirst()
                do throws(FileReadError) {
                    let bytes = try FileBytes(path: entry.path, compression: input.compression, limit: input.maxUncompressedBytes,
                                  counter: input.counter)
                    current = Open(entry: entry, bytes: bytes,
                                   tokenizer: XMLTokenizer(maxDepth: options.maxDepth, maxTokenBytes: options.maxRecordBytes),
                                   mapper: XMLRecordMapper(options: options))
                } catch {
                    batch.errors.append(RecordError(stage: .extract, position: SourcePosition(file: entry.name),
                                                    code: error.code, message: error.message))
                    continue
                }
            }
            if try step(into: &batch) {
                current!.bytes.close()
                if let c = progress.finished(current!.entry) { batch.checkpoint = c }
                current = nil
                break
            }
        }
        if batch.records.isEmpty && batch.errors.isEmpty && batch.checkpoint == nil && current == nil && files.isEmpty {
            return nil
        }
        return batch
    }

    /// Reads events of the open file into the batch until it is full or needs input (then feeds a chunk);
    /// true when the file is done.
    private mutating func step(into batch: inout SourceBatch) throws -> Bool {
        let file = current!.entry.name
        func report(_ code: String, _ message: String, line: Int?) {
            batch.errors.append(RecordError(stage: .extract, position: SourcePosition(file: file, line: line),
                                            code: code, message: message))
        }
        while batch.records.count + batch.errors.count < batchSize {
            let line = current!.tokenizer.line, offset = current!.tokenizer.offset
            let event: XMLTokenizer.Event?
            do {
                event = try current!.tokenizer.next()
            } catch let failure {
                if !failure.recoverable {
                    report(failure.code, failure.description + "; the rest of the file is not read", line: failure.line)
                    return true
                }
                let open = current!.tokenizer.openElements
                if case .error(let code, let message, let l) = current!.mapper.fail(failure, open: open) {
                    report(code, message, line: l)
                }
                continue
            }
            guard let event else {
                guard current!.tokenizer.needsInput else { return true }
                try Task.checkCancellation()
                do throws(FileReadError) {
                    if let chunk = try current!.bytes.read() {
                        current!.tokenizer.feed(try transcoded(chunk))
                    } else {
                        current!.tokenizer.finish()
                    }
                } catch {
                    report(error.code, error.message + "; the rest of the file is not read", line: current!.tokenizer.line)
                    return true
                }
                continue
            }
            switch current!.mapper.handle(event, open: current!.tokenizer.openElements, line: line, offset: offset) {
            case .record(let value, let l)?:
                batch.records.append(Record(value, position: SourcePosition(file: file, line: l)))
            case .error(let code, let message, let l)?: report(code, message, line: l)
            case nil: break
            }
        }
        return false
    }

    /// The chunk as UTF-8: the first chunk decides the encoding from the XML declaration.
    private mutating func transcoded(_ chunk: [UInt8]) throws(FileReadError) -> [UInt8] {
        if !current!.started {
            current!.started = true
            current!.transcode = try XMLDeclaration.encoding(of: chunk)
        }
        guard let encoding = current!.transcode, let text = encoding.decode(chunk) else { return chunk }
        return Array(text.utf8)
    }

    mutating func close() async {
        current?.bytes.close()
        current = nil
        files = []
    }
}

/// The encoding an XML declaration names: nil for UTF-8 (the default); UTF-16 and others are refused.
enum XMLDeclaration {
    static func encoding(of head: [UInt8]) throws(FileReadError) -> TextEncoding? {
        if head.starts(with: [0xFE, 0xFF]) || head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0x00, 0x3C])
            || head.starts(with: [0x3C, 0x00]) {
            throw FileReadError("xml.encoding", "UTF-16 XML is not supported (UTF-8, ISO-8859-1, Windows-1252)")
        }
        guard head.starts(with: Array("<?xml".utf8)) else { return nil }
        let decl = String(decoding: head.prefix(while: { $0 != UInt8(ascii: ">") }).prefix(400), as: UTF8.self)
        guard let range = decl.firstRange(of: "encoding") else { return nil }
        let rest = decl[range.upperBound...].drop(while: { $0 == " " || $0 == "=" })
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        let name = rest.dropFirst().prefix(while: { $0 != quote }).lowercased()
        switch name {
        case "utf-8", "utf8", "us-ascii", "ascii": return nil
        case "iso-8859-1", "latin1", "latin-1", "iso8859-1": return .latin1
        case "windows-1252", "cp1252": return .windows1252
        default: throw FileReadError("xml.encoding", "encoding '\(name)' is not supported (UTF-8, ISO-8859-1, Windows-1252)")
        }
    }
}
