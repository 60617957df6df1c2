import Foundation
import OnrampConnectorKit
import OnrampCore

/// Reads one sheet of each XLSX workbook: the sheet's XML streams from its zip entry through `XMLTokenizer`
/// (flat memory whatever the row count; the shared strings are held), rows mapped by `XLSXSheet`.
struct XLSXReader: BatchReader {
    private struct Open {
        var entry: FileInput
        var stream: ZipEntryStream
        var tokenizer = XMLTokenizer()
        var sheet: XLSXSheet
        var part: String
        var temporary: String?
    }

    let options: XLSXOptions
    let input: InputOptions
    var files: [FileInput]
    var progress: FileProgress
    let batchSize: Int
    private var current: Open?

    init(options: XLSXOptions, input: InputOptions, files: [FileInput], progress: FileProgress, batchSize: Int) {
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
                    current = try open(entry)
                } catch {
                    batch.errors.append(RecordError(stage: .extract, position: SourcePosition(file: entry.name),
                                                    code: error.code, message: error.message))
                    // A workbook that opens but lacks the sheet was still read; the error says why it gave nothing.
                    if error.code == "xlsx.sheet", let c = progress.finished(entry) { batch.checkpoint = c }
                    continue
                }
            }
            if try step(into: &batch) {
                finishFile()
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

    private func open(_ entry: FileInput) throws(FileReadError) -> Open {
        var path = entry.path, temporary: String?
        if input.compression.isGzip(entry.path) {
            temporary = try Self.gunzip(entry.path, limit: input.maxUncompressedBytes)
            path = temporary!
        }
        do throws(FileReadError) {
            let workbook = try XLSXWorkbook(path: path, limit: input.maxUncompressedBytes)
            let named = options.sheet.map { name in workbook.sheets.first { $0.name == name } }
            guard let sheet = named ?? workbook.sheets.first else {
                let known = workbook.sheets.map { "'\($0.name)'" }.joined(separator: ", ")
                throw FileReadError("xlsx.sheet", options.sheet.map { "no sheet named '\($0)'; the sheets are \(known)" }
                                    ?? "the workbook has no sheet")
            }
            let limit = input.maxUncompressedBytes, part = sheet.part, sheetPath = path
            let stream = try ZipEntryStream(path: path, entry: part, limit: limit)
            var sheetReader = XLSXSheet(workbook: workbook, headerRow: options.headerRow) { () throws(FileReadError) in
                try XLSXRange.merges(path: sheetPath, part: part, limit: limit)
            }
            sheetReader.nullCellErrors = options.nullCellErrors
            return Open(entry: entry, stream: stream, sheet: sheetReader, part: part, temporary: temporary)
        } catch {
            if let temporary { try? FileManager.default.removeItem(atPath: temporary) }
            throw error
        }
    }

    /// Reads rows of the open sheet into the batch until it is full; true when the sheet is done.
    private mutating func step(into batch: inout SourceBatch) throws -> Bool {
        let file = current!.entry.name
        func report(_ code: String, _ message: String, row: Int?, value: Value? = nil) {
            batch.errors.append(RecordError(stage: .extract, position: SourcePosition(file: file, line: row),
                                            code: code, message: message, value: value))
        }
        while batch.records.count + batch.errors.count < batchSize {
            let event: XMLTokenizer.Event?
            do {
                event = try current!.tokenizer.next()
            } catch {
                report("xlsx.corrupt", "\(current!.part) is not well-formed XML: \(error); the rest of the sheet is not read",
                       row: nil)
                return true
            }
            do {
                guard let event else {
                    guard current!.tokenizer.needsInput else { return true }
                    try Task.checkCancellation()
                    if let chunk = try current!.stream.read() {
                        current!.tokenizer.feed(chunk)
                    } else {
                        current!.tokenizer.finish()
                    }
                    continue
                }
                for output in try current!.sheet.handle(event, open: current!.tokenizer.openElements) {
                    switch output {
                    case .record(let value, let row):
                        batch.records.append(Record(value, position: SourcePosition(file: file, line: row)))
                    case .error(let code, let message, let row, let value): report(code, message, row: row, value: value)
                    }
                }
            } catch let error as FileReadError {
                report(error.code, error.message + "; the rest of the sheet is not read", row: nil)
                return true
            }
        }
        return false
    }

    /// Writes the gunzipped workbook to a temporary file (a zip needs random access); its path.
    private static func gunzip(_ path: String, limit: Int64) throws(FileReadError) -> String {
        var bytes = try FileBytes(path: path, compression: .gzip, limit: limit)
        defer { bytes.close() }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-\(UUID().uuidString).xlsx").path
        guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
            throw FileReadError("source.unreadable", "cannot write a temporary file to decompress the workbook")
        }
        defer { try? handle.close() }
        do throws(FileReadError) {
            while let chunk = try bytes.read() { handle.write(Data(chunk)) }
        } catch {
            try? FileManager.default.removeItem(atPath: out)
            throw error
        }
        return out
    }

    private mutating func finishFile() {
        current?.stream.cancel()
        if let t = current?.temporary { try? FileManager.default.removeItem(atPath: t) }
    }

    mutating func close() async {
        finishFile()
        current = nil
        files = []
    }
}
