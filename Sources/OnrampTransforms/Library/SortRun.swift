import Foundation
import OnrampCore

/// One sorted run of `sort` on disk: a line per record, `[seq, file, line, key, value]` as JSON, read back in order.
/// The file is opened for reading on the first `next()`, so only the runs being merged hold a descriptor.
final class SortRun {
    let path: String
    private var handle: FileHandle?
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false

    /// Whether the run's file is open for reading.
    var isOpen: Bool { handle != nil }

    /// Writes entries in order to a new file, created 0600; `finish()` gives the run.
    final class Writer {
        let path: String
        private let out: FileHandle
        private var chunk = [UInt8]()

        init(path: String) throws {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let out = FileHandle(forWritingAtPath: path) else {
                throw OnrampError("sort.spill", "cannot create the spill file \(path)")
            }
            self.path = path
            self.out = out
        }

        func append(_ e: SortStep.Entry) throws {
            let p = e.position
            let line: Value = [.number(Double(e.seq)), p.file.map(Value.string) ?? .null,
                               p.line.map { .number(Double($0)) } ?? .null, p.key.map(Value.string) ?? .null, e.value]
            chunk += JSONWriter.string(line).utf8
            chunk.append(10)
            if chunk.count > 1 << 20 { try out.write(contentsOf: chunk); chunk.removeAll(keepingCapacity: true) }
        }

        func finish() throws -> SortRun {
            try out.write(contentsOf: chunk)
            try out.close()
            return SortRun(path: path)
        }
    }

    /// Writes `entries` (already sorted) to `path`.
    static func write(_ entries: [SortStep.Entry], to path: String) throws -> SortRun {
        let writer = try Writer(path: path)
        for e in entries { try writer.append(e) }
        return try writer.finish()
    }

    private init(path: String) { self.path = path }

    /// The next entry, nil at the end.
    func next() throws -> SortStep.Entry? {
        if handle == nil {
            if ended { return nil }
            guard let h = FileHandle(forReadingAtPath: path) else { throw OnrampError("sort.spill", "cannot read \(path)") }
            handle = h
        }
        while true {
            if let nl = buffer[start...].firstIndex(of: 10) {
                let line = Array(buffer[start..<nl])
                start = nl + 1
                guard case .array(let a) = try JSONParser.parse(line), a.count == 5, case .number(let n) = a[0],
                      let seq = Int(exactly: n) else {
                    throw OnrampError("sort.spill", "the spill file \(path) is damaged")
                }
                let position = SourcePosition(file: a[1].stringValue, line: a[2].numberValue.flatMap { Int(exactly: $0) },
                                              key: a[3].stringValue)
                return SortStep.Entry(seq: seq, position: position, value: a[4])
            }
            if ended { return nil }
            buffer.removeFirst(start)
            start = 0
            let more = try handle?.read(upToCount: 1 << 20) ?? Data()
            if more.isEmpty { ended = true; if buffer.isEmpty { return nil } else { buffer.append(10) } }
            buffer += more
        }
    }

    func close() {
        try? handle?.close()
        handle = nil
        try? FileManager.default.removeItem(atPath: path)
    }
}
