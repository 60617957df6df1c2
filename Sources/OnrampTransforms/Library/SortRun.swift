import Foundation
import OnrampCore

/// One sorted run of `sort` on disk: a line per record, `[seq, file, line, key, value]` as JSON, read back in order.
final class SortRun {
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false

    /// Writes `entries` (already sorted) to `path`, created 0600.
    static func write(_ entries: [SortStep.Entry], to path: String) throws -> SortRun {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let out = FileHandle(forWritingAtPath: path) else {
            throw OnrampError("sort.spill", "cannot create the spill file \(path)")
        }
        var chunk = [UInt8]()
        for e in entries {
            let p = e.position
            let line: Value = [.number(Double(e.seq)), p.file.map(Value.string) ?? .null,
                               p.line.map { .number(Double($0)) } ?? .null, p.key.map(Value.string) ?? .null, e.value]
            chunk += JSONWriter.string(line).utf8
            chunk.append(10)
            if chunk.count > 1 << 20 { try out.write(contentsOf: chunk); chunk.removeAll(keepingCapacity: true) }
        }
        try out.write(contentsOf: chunk)
        try out.close()
        guard let handle = FileHandle(forReadingAtPath: path) else { throw OnrampError("sort.spill", "cannot read \(path)") }
        return SortRun(path: path, handle: handle)
    }

    private init(path: String, handle: FileHandle) {
        self.path = path
        self.handle = handle
    }

    /// The next entry, nil at the end.
    func next() throws -> SortStep.Entry? {
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
            let more = try handle.read(upToCount: 1 << 20) ?? Data()
            if more.isEmpty { ended = true; if buffer.isEmpty { return nil } else { buffer.append(10) } }
            buffer += more
        }
    }

    func close() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}
