import Foundation
import OnrampCore
import PostgresNIO

/// Turns cells in PostgreSQL's binary format into `Value`s (the mapping table in docs/connectors.md).
/// Types not listed in `decodable` are selected as their text form (`::text`) and arrive as strings.
struct PostgresTypes: Sendable {
    /// The zone `timestamptz` values are written in (ISO 8601 with its offset at that instant).
    let timeZone: TimeZone
    /// UTC needs no zone lookup per value.
    private let utc: Bool

    init(timeZone: TimeZone) {
        self.timeZone = timeZone
        utc = ["UTC", "GMT", "Etc/UTC"].contains(timeZone.identifier)
    }

    enum Failure: Error, CustomStringConvertible {
        case malformed(String)
        var description: String {
            switch self { case .malformed(let what): return "malformed \(what) in the server's answer" }
        }
    }

    static let scalarOIDs: Set<UInt32> = [16, 20, 21, 23, 26, 700, 701, 1700, 25, 1043, 1042, 19, 18, 2950,
                                          114, 3802, 1082, 1114, 1184, 1083]
    /// Array types whose elements decode (their element types are in `scalarOIDs`).
    static let arrayElements: [UInt32: UInt32] = [
        1000: 16, 1016: 20, 1005: 21, 1007: 23, 1028: 26, 1021: 700, 1022: 701, 1231: 1700, 1009: 25, 1015: 1043,
        1014: 1042, 1003: 19, 1002: 18, 2951: 2950, 199: 114, 3807: 3802, 1182: 1082, 1115: 1114, 1185: 1184, 1183: 1083,
    ]

    static func decodable(_ oid: UInt32) -> Bool { scalarOIDs.contains(oid) || arrayElements[oid] != nil }

    /// The JSON type a column's values take, for `discover`.
    static func jsonType(_ oid: UInt32) -> String {
        if arrayElements[oid] != nil { return "array" }
        switch oid {
        case 16: return "boolean"
        case 20, 21, 23, 26: return "integer"
        case 700, 701: return "number"
        case 114, 3802: return "object"
        default: return "string"
        }
    }

    func value(_ cell: PostgresCell) throws -> Value {
        guard var bytes = cell.bytes else { return .null }
        if cell.format == .text { return .string(bytes.readString(length: bytes.readableBytes) ?? "") }
        return try value(&bytes, oid: cell.dataType.rawValue)
    }

    func value(_ buffer: inout ByteBuffer, oid: UInt32) throws -> Value {
        if let element = Self.arrayElements[oid] { return try array(&buffer, element: element) }
        switch oid {
        case 16:
            guard let b = buffer.readInteger(as: UInt8.self) else { throw Failure.malformed("bool") }
            return .bool(b != 0)
        case 21: return try integer(Int64(read(&buffer, Int16.self)))
        case 23: return try integer(Int64(read(&buffer, Int32.self)))
        case 26: return try integer(Int64(read(&buffer, UInt32.self)))
        case 20: return try integer(read(&buffer, Int64.self))
        case 700: return float(Double(Float(bitPattern: try read(&buffer, UInt32.self))))
        case 701: return float(Double(bitPattern: try read(&buffer, UInt64.self)))
        case 1700: return .string(try Self.numericText(&buffer))
        case 2950:
            guard let b = buffer.readBytes(length: 16) else { throw Failure.malformed("uuid") }
            let hex = Hex.string(b)
            let h = Array(hex)
            return .string(String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-"
                           + String(h[16..<20]) + "-" + String(h[20...]))
        case 114: return try json(&buffer)
        case 3802:
            guard buffer.readInteger(as: UInt8.self) == 1 else { throw Failure.malformed("jsonb version") }
            return try json(&buffer)
        case 1082: return .string(try Self.dateText(days: read(&buffer, Int32.self)))
        case 1114: return .string(try timestampText(read(&buffer, Int64.self), zoned: false))
        case 1184: return .string(try timestampText(read(&buffer, Int64.self), zoned: true))
        case 1083: return .string(Self.timeOfDay(try read(&buffer, Int64.self)))
        default:
            guard let s = buffer.readString(length: buffer.readableBytes) else { throw Failure.malformed("text") }
            return .string(s)
        }
    }

    private func read<T: FixedWidthInteger>(_ buffer: inout ByteBuffer, _: T.Type) throws -> T {
        guard let v = buffer.readInteger(endianness: .big, as: T.self) else { throw Failure.malformed("\(T.self)") }
        return v
    }

    /// Integers beyond ±2^53 (which a double cannot hold exactly) come as their decimal text.
    private func integer(_ v: Int64) -> Value {
        v.magnitude <= 1 << 53 ? .number(Double(v)) : .string(String(v))
    }

    /// NaN and the infinities have no JSON number: their PostgreSQL text.
    private func float(_ d: Double) -> Value {
        if d.isNaN { return .string("NaN") }
        if d.isInfinite { return .string(d > 0 ? "Infinity" : "-Infinity") }
        return .number(d)
    }

    private func json(_ buffer: inout ByteBuffer) throws -> Value {
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        return try JSONParser.parse(bytes)
    }

    private func array(_ buffer: inout ByteBuffer, element: UInt32) throws -> Value {
        let dimensions = Int(try read(&buffer, Int32.self))
        _ = try read(&buffer, Int32.self)   // has-nulls flag
        _ = try read(&buffer, UInt32.self)  // element type
        guard (0...6).contains(dimensions) else { throw Failure.malformed("array dimensions") }
        if dimensions == 0 { return .array([]) }
        var sizes: [Int] = []
        for _ in 0..<dimensions {
            sizes.append(Int(try read(&buffer, Int32.self)))
            _ = try read(&buffer, Int32.self)  // lower bound
        }
        // Each element takes at least its 4-byte length: a size the bytes cannot hold is a malformed answer.
        let elements = sizes.reduce(1) { $0.multipliedReportingOverflow(by: max($1, 0)).partialValue }
        guard sizes.allSatisfy({ $0 >= 0 }), elements <= buffer.readableBytes / 4 + 1 else {
            throw Failure.malformed("array sizes")
        }
        func level(_ d: Int) throws -> Value {
            var items: [Value] = []
            items.reserveCapacity(sizes[d])
            for _ in 0..<sizes[d] {
                if d + 1 < sizes.count { items.append(try level(d + 1)); continue }
                let length = Int(try read(&buffer, Int32.self))
                if length < 0 { items.append(.null); continue }
                guard var slice = buffer.readSlice(length: length) else { throw Failure.malformed("array element") }
                items.append(try value(&slice, oid: element))
            }
            return .array(items)
        }
        return try level(0)
    }

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
        var digits: [Int16] = []
        for _ in 0..<count {
            guard let d = buffer.readInteger(endianness: .big, as: Int16.self), (0..<10000).contains(d) else {
                throw Failure.malformed("numeric digit")
            }
            digits.append(d)
        }
        func group(_ i: Int) -> Int16 { i >= 0 && i < digits.count ? digits[i] : 0 }
        var text = sign == 0x4000 ? "-" : ""
        if weight < 0 {
            text += "0"
        } else {
            text += String(group(0))
            for i in stride(from: 1, through: Int(weight), by: 1) { text += pad(group(i)) }
        }
        if scale > 0 {
            var fraction = ""
            var i = Int(weight) + 1
            while fraction.count < Int(scale) {
                fraction += pad(group(i))
                i += 1
            }
            text += "." + fraction.prefix(Int(scale))
        }
        return text
    }

    private static func pad(_ g: Int16) -> String {
        let s = String(g)
        return String(repeating: "0", count: 4 - s.count) + s
    }

    /// Days since 2000-01-01 as `YYYY-MM-DD` (proleptic Gregorian, ` BC` after years before 1;
    /// `infinity` for the open ends).
    static func dateText(days: Int32) throws -> String {
        if days == Int32.max { return "infinity" }
        if days == Int32.min { return "-infinity" }
        let (y, m, d) = civil(Int64(days) + 10957)
        var out: [UInt8] = []
        out.reserveCapacity(16)
        appendDate(y, m, d, to: &out)
        if y <= 0 { out.append(contentsOf: " BC".utf8) }
        return String(decoding: out, as: UTF8.self)
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
        var out: [UInt8] = []
        out.reserveCapacity(40)
        Self.appendDate(y, m, d, to: &out)
        out.append(UInt8(ascii: "T"))
        Self.appendTime(local - day * dayMicros, to: &out)
        if zoned {
            let a = abs(offset)
            out.append(UInt8(ascii: offset < 0 ? "-" : "+"))
            Self.append(a / 3600, width: 2, to: &out)
            out.append(UInt8(ascii: ":"))
            Self.append(a % 3600 / 60, width: 2, to: &out)
        }
        if y <= 0 { out.append(contentsOf: " BC".utf8) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Microseconds since midnight as `HH:MM:SS` with the fraction when there is one.
    static func timeOfDay(_ micros: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        appendTime(micros, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendTime(_ micros: Int64, to out: inout [UInt8]) {
        let seconds = Int(micros / 1_000_000)
        append(seconds / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        append(seconds % 3600 / 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        append(seconds % 60, width: 2, to: &out)
        var fraction = Int(micros % 1_000_000)
        guard fraction > 0 else { return }
        var digits = 6
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        out.append(UInt8(ascii: "."))
        append(fraction, width: digits, to: &out)
    }

    private static func appendDate(_ y: Int64, _ m: Int, _ d: Int, to out: inout [UInt8]) {
        append(Int(y <= 0 ? 1 - y : y), width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        append(m, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        append(d, width: 2, to: &out)
    }

    /// `n` (not negative) in decimal, zero-padded to `width` digits.
    private static func append(_ n: Int, width: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<max(1, width) { divisor *= 10 }
        if n >= divisor * 10 {
            out.append(contentsOf: String(n).utf8)
            return
        }
        var v = n
        while divisor > 0 {
            out.append(UInt8(48 + v / divisor))
            v %= divisor
            divisor /= 10
        }
    }

    /// The civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
    static func civil(_ z0: Int64) -> (Int64, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
