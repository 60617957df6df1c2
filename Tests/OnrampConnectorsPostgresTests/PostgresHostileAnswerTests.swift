import Foundation
import NIOCore
@testable import OnrampConnectorsPostgres
import OnrampCore
import Testing

/// A malicious or broken server's answers are errors, never a trap or a giant allocation.
@Suite struct PostgresHostileAnswerTests {
    let types = PostgresTypes(timeZone: TimeZone(identifier: "Europe/Berlin")!)

    func array(dimensions: Int32, sizes: [Int32], payload: [UInt8] = []) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(dimensions)
        b.writeInteger(Int32(0))
        b.writeInteger(UInt32(23))
        for s in sizes {
            b.writeInteger(s)
            b.writeInteger(Int32(1))
        }
        b.writeBytes(payload)
        return b
    }

    @Test func impossibleArraySizesAreMalformedAnswers() throws {
        for sizes: [Int32] in [[-1], [Int32.max], [65_536, 65_536], [3]] {
            var b = array(dimensions: Int32(sizes.count), sizes: sizes, payload: [0, 0, 0, 4, 0, 0, 0, 7])
            #expect(throws: PostgresTypes.Failure.self, "\(sizes)") { _ = try types.value(&b, oid: 1007) }
        }
        var ok = array(dimensions: 1, sizes: [2], payload: [0, 0, 0, 4, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try types.value(&ok, oid: 1007) == [7, .null])
    }

    @Test func timestampsOutsidePostgreSQLsRangeAreMalformedNotAnOverflow() throws {
        for micros: Int64 in [Int64.max - 1, Int64.min + 1, 9_223_371_331_200_000_001] {
            #expect(throws: PostgresTypes.Failure.self) { _ = try types.timestampText(micros, zoned: true) }
        }
        #expect(try types.timestampText(9_223_371_331_200_000_000, zoned: false).hasPrefix("294277-01-01"))
        #expect(try types.timestampText(0, zoned: true) == "2000-01-01T01:00:00+01:00")
    }

    @Test func aColumnNamedInBothCursorAndKeyIsRefused() throws {
        #expect {
            _ = try PG.source(PG.config(["table": "orders"]), incremental: ["cursor": ["id"], "key": ["id"]])
        } throws: { ($0 as? OnrampError)?.location == "source.incremental.key" }
    }
}
