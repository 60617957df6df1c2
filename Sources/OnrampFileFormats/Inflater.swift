import COnrampZlib

/// Streams gzip (several members allowed, as `cat a.gz b.gz` makes) or raw deflate data through zlib, at most
/// `max` bytes out per `drain`, refusing output past `limit` bytes (gzip bombs). Owned by one reader.
final class Inflater: @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private let gzip: Bool
    private var ended = false
    private(set) var produced: Int64 = 0
    let limit: Int64

    init(gzip: Bool, limit: Int64, capacity: Int = 1 << 18) throws(FileReadError) {
        self.gzip = gzip
        self.limit = limit
        self.capacity = capacity
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(capacity: capacity)
        guard onramp_inflate_init2(stream, gzip ? 16 + MAX_WBITS : -MAX_WBITS) == Z_OK else {
            input.deallocate()
            stream.deallocate()
            throw FileReadError("gzip.init", "cannot start zlib")
        }
    }

    deinit {
        _ = inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    /// Whether every byte fed so far has been decompressed.
    var needsInput: Bool { stream.pointee.avail_in == 0 }

    /// Whether the compressed stream ended cleanly (no partial member pending).
    var isAtEnd: Bool { ended && needsInput }

    /// Gives zlib the next compressed bytes (at most `capacity`); call only when `needsInput`.
    func feed(_ bytes: [UInt8]) {
        precondition(bytes.count <= capacity && needsInput)
        bytes.withUnsafeBufferPointer { input.update(from: $0.baseAddress!, count: $0.count) }
        stream.pointee.next_in = input
        stream.pointee.avail_in = UInt32(bytes.count)
    }

    /// Up to `max` decompressed bytes from the input fed so far (empty when zlib needs more input).
    func drain(max: Int = 1 << 18) throws(FileReadError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max)
        var written = 0
        while written < max && !needsInput {
            if ended {
                // Another gzip member follows the one that ended; anything else is not gzip.
                guard gzip, stream.pointee.next_in.pointee == 0x1F else {
                    throw FileReadError("gzip.trailing", "data after the end of the compressed stream")
                }
                _ = inflateReset(stream)
                ended = false
            }
            let rc = out.withUnsafeMutableBufferPointer { buf -> Int32 in
                stream.pointee.next_out = buf.baseAddress! + written
                stream.pointee.avail_out = UInt32(max - written)
                let rc = inflate(stream, Z_NO_FLUSH)
                written = max - Int(stream.pointee.avail_out)
                return rc
            }
            if rc == Z_STREAM_END { ended = true } else if rc == Z_BUF_ERROR { break } else if rc != Z_OK {
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "code \(rc)"
                throw FileReadError("gzip.corrupt", "corrupt compressed data (\(detail))")
            }
        }
        produced += Int64(written)
        if produced > limit {
            throw FileReadError("file.too_large", "decompresses to more than \(limit) bytes (the limit); "
                                + "raise max_uncompressed_mb if the file is genuine")
        }
        out.removeSubrange(written...)
        return out
    }
}

/// Why a file could not be read on (open, decompress, size caps): becomes an error record naming the file.
struct FileReadError: Error, Sendable {
    var code: String
    var message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}
