/// ASCII text written straight into a `String`'s storage: no array in between, and 15 bytes or fewer stay inline
/// (no allocation at all). The capacity given must hold what is written.
struct ASCIIText {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    private init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    static func make(capacity: Int, _ body: (inout ASCIIText) throws -> Void) rethrows -> String {
        try String(unsafeUninitializedCapacity: capacity) { buffer in
            var text = ASCIIText(buffer)
            try body(&text)
            return text.count
        }
    }

    mutating func append(_ byte: UInt8) {
        precondition(count < buffer.count, "ASCIIText capacity")
        buffer[count] = byte
        count += 1
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { for b in $0 { append(b) } }
    }

    /// `n` (not negative) in decimal, zero-padded to `width` digits.
    mutating func append(_ n: Int, width: Int) {
        var digits = 1
        var power = 10
        while digits < 19, power <= n {
            digits += 1
            power &*= 10
        }
        let total = max(width, digits)
        precondition(count + total <= buffer.count, "ASCIIText capacity")
        var v = n
        for i in stride(from: count + total - 1, through: count, by: -1) {
            buffer[i] = UInt8(48 + v % 10)
            v /= 10
        }
        count += total
    }
}
