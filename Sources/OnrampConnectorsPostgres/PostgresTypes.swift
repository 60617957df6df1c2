import Foundation
import OnrampCore
import PostgresNIO

/// Turns cells in PostgreSQL's binary format into `Value`s (the mapping table in docs/connectors.md).
/// Types not listed in `decodable` are selected as their text form (`::text`) and arrive as strings.
struct PostgresTypes: Sendable {
    /// The zone `timestamptz` values are written in (ISO 8601 with its offset at that instant).
    let timeZone: TimeZone
    /// UTC needs no zone lookup per value.
    let utc: Bool

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
        switch oid {
        case 25, 1043, 1042, 19, 18:
            guard let s = buffer.readString(length: buffer.readableBytes) else { throw Failure.malformed("text") }
            return .string(s)
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
        case 1083:
            let micros = try read(&buffer, Int64.self)
            guard (0...86_400_000_000).contains(micros) else { throw Failure.malformed("time") }
            return .string(Self.timeOfDay(micros))
        default:
            if let element = Self.arrayElements[oid] { return try array(&buffer, element: element) }
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
}
