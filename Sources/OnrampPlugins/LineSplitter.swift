/// Splits a byte stream into `\n`-terminated lines of at most `maxBytes` (a `\r` before the `\n` is dropped).
/// A longer line is not kept: it comes out as `.tooLong` with its length once its end is seen.
struct LineSplitter: Sendable {
    enum Line: Sendable, Equatable {
        case text([UInt8], number: Int)
        case tooLong(bytes: Int, number: Int)
    }

    let maxBytes: Int
    private var buffer: [UInt8] = []
    private var overflow = 0
    private var number = 0

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    /// The lines completed by `chunk`.
    mutating func feed(_ chunk: some Collection<UInt8>) -> [Line] {
        var out: [Line] = []
        var rest = chunk[...]
        while let nl = rest.firstIndex(of: 0x0A) {
            take(rest[..<nl])
            out.append(finishLine())
            rest = rest[rest.index(after: nl)...]
        }
        take(rest)
        return out
    }

    /// The last line when the stream ends without a newline.
    mutating func finish() -> Line? {
        guard !buffer.isEmpty || overflow > 0 else { return nil }
        return finishLine()
    }

    private mutating func take(_ bytes: some Collection<UInt8>) {
        if overflow > 0 || buffer.count + bytes.count > maxBytes {
            overflow += buffer.count + bytes.count
            buffer.removeAll(keepingCapacity: false)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    private mutating func finishLine() -> Line {
        number += 1
        defer { buffer.removeAll(keepingCapacity: true); overflow = 0 }
        if overflow > 0 { return .tooLong(bytes: overflow, number: number) }
        if buffer.last == 0x0D { buffer.removeLast() }
        return .text(buffer, number: number)
    }
}
