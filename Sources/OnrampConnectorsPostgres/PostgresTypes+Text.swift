import Foundation
import OnrampCore
import PostgresNIO

/// PostgreSQL's binary numbers, dates and times as the text the mapping table in docs/connectors.md gives.
extension PostgresTypes {
    /// PostgreSQL's binary numeric (base-10000 digits, weight, sign, display scale) as exact decimal text.
    static func numericText(_ buffer: inout ByteBuffer) throws -> String {
        guard let count = buffer.readInteger(endianness: .big, as: Int16.self),
              let weight = buffer.readInteger(endianness: .big, as: Int16.self),
              let sign = buffer.readInteger(endianness: .big, as: UInt16.self),
              let scale = buffer.readInteger(endianness: .big, as: Int16.self), count >= 0, scale >= 0
        else { throw Failure.malformed("numeric") }
        switch sign {
        case 0xC000: return "NaN"
        case 0xD000: return "Infinity"
        case 0xF000: return "-Infinity"
        default: break
        }
        let n = Int(count)
        guard buffer.readableBytes >= 2 * n else { throw Failure.malformed("numeric digit") }
        defer { buffer.moveReaderIndex(forwardBy: 2 * n) }
        return try buffer.withUnsafeReadableBytes { raw in
            func group(_ i: Int) -> Int { i >= 0 && i < n ? Int(raw[2 * i]) << 8 | Int(raw[2 * i + 1]) : 0 }
            for i in 0..<n where group(i) >= 10000 { throw Failure.malformed("numeric digit") }
            return ASCIIText.make(capacity: 3 + 4 * (max(Int(weight), 0) + 1) + Int(scale)) { out in
                if sign == 0x4000 { out.append(UInt8(ascii: "-")) }
                if weight < 0 {
                    out.append(UInt8(ascii: "0"))
                } else {
                    out.append(group(0), width: 1)
                    for i in stride(from: 1, through: Int(weight), by: 1) { out.append(group(i), width: 4) }
                }
                guard scale > 0 else { return }
                out.append(UInt8(ascii: "."))
                var left = Int(scale)
                var i = Int(weight) + 1
                while left > 0 {
                    let g = group(i)
                    var divisor = 1000
                    for _ in 0..<min(left, 4) {
                        out.append(UInt8(48 + g / divisor % 10))
                        divisor /= 10
                    }
                    left -= min(left, 4)
                    i += 1
                }
            }
        }
    }

    /// Days since 2000-01-01 as `YYYY-MM-DD` (proleptic Gregorian, ` BC` after years before 1;
    /// `infinity` for the open ends).
    static func dateText(days: Int32) throws -> String {
        if days == Int32.max { return "infinity" }
        if days == Int32.min { return "-infinity" }
        let (y, m, d) = civil(Int64(days) + 10957)
        return ASCIIText.make(capacity: 32) { out in
            appendDate(y, m, d, to: &out)
            if y <= 0 { out.append(" BC") }
        }
    }

    /// Microseconds since 2000-01-01 00:00 as ISO 8601; with `zoned`, in `timeZone` with its offset.
    func timestampText(_ micros: Int64, zoned: Bool) throws -> String {
        if micros == Int64.max { return "infinity" }
        if micros == Int64.min { return "-infinity" }
        // PostgreSQL's range is 4713 BC to 294276 AD; outside it an answer is malformed (and the arithmetic would overflow).
        guard (-211_813_488_000_000_000...9_223_371_331_200_000_000).contains(micros) else {
            throw Failure.malformed("timestamp")
        }
        var local = micros
        var offset = 0
        if zoned, !utc {
            let unix = Double(micros) / 1_000_000 + 946_684_800
            offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: unix))
            local += Int64(offset) * 1_000_000
        }
        let dayMicros: Int64 = 86_400_000_000
        let day = local >= 0 ? local / dayMicros : (local - dayMicros + 1) / dayMicros
        let (y, m, d) = Self.civil(day + 10957)
        return ASCIIText.make(capacity: 48) { out in
            Self.appendDate(y, m, d, to: &out)
            out.append(UInt8(ascii: "T"))
            Self.appendTime(local - day * dayMicros, to: &out)
            if zoned {
                let a = abs(offset)
                out.append(UInt8(ascii: offset < 0 ? "-" : "+"))
                out.append(a / 3600, width: 2)
                out.append(UInt8(ascii: ":"))
                out.append(a % 3600 / 60, width: 2)
            }
            if y <= 0 { out.append(" BC") }
        }
    }

    /// Microseconds since midnight as `HH:MM:SS` with the fraction when there is one.
    static func timeOfDay(_ micros: Int64) -> String {
        ASCIIText.make(capacity: 32) { appendTime(micros, to: &$0) }
    }

    private static func appendTime(_ micros: Int64, to out: inout ASCIIText) {
        let seconds = Int(micros / 1_000_000)
        out.append(seconds / 3600, width: 2)
        out.append(UInt8(ascii: ":"))
        out.append(seconds % 3600 / 60, width: 2)
        out.append(UInt8(ascii: ":"))
        out.append(seconds % 60, width: 2)
        var fraction = Int(micros % 1_000_000)
        guard fraction > 0 else { return }
        var digits = 6
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        out.append(UInt8(ascii: "."))
        out.append(fraction, width: digits)
    }

    private static func appendDate(_ y: Int64, _ m: Int, _ d: Int, to out: inout ASCIIText) {
        out.append(Int(y <= 0 ? 1 - y : y), width: 4)
        out.append(UInt8(ascii: "-"))
        out.append(m, width: 2)
        out.append(UInt8(ascii: "-"))
        out.append(d, width: 2)
    }

    /// The civil date of a day count since 1970-01-01.
    static func civil(_ days: Int64) -> (Int64, Int, Int) {
        let (y, m, d) = CivilDate.civil(days: Int(days))
        return (Int64(y), m, d)
    }
}
