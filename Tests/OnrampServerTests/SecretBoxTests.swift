import Crypto
import Foundation
import OnrampCore
@testable import OnrampServer
import OnrampStore
import Testing

@Suite struct SecretBoxTests {
    @Test func sealsBoundToTheirPlace() throws {
        let box = SecretBox(key: SymmetricKey(size: .bits256))
        let sealed = try box.seal("tax-key-123", context: "acme/TAXMAN_KEY")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("tax-key-123"))
        #expect(try box.open(sealed, context: "acme/TAXMAN_KEY") == "tax-key-123")
        #expect(throws: (any Error).self) { try box.open(sealed, context: "globex/TAXMAN_KEY") }
        let other = SecretBox(key: SymmetricKey(size: .bits256))
        #expect(throws: OnrampError.self) { try other.open(sealed, context: "acme/TAXMAN_KEY") }
    }
}

@Suite struct ArtifactSealerTests {
    @Test func sealsInChunksAndDetectsTampering() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-artifact-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("results.ndjson").path
        let content = Data((0..<(5 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 31) })  // 2.5 MiB: three chunks
        try content.write(to: URL(fileURLWithPath: path))
        let old = SecretBox(key: SymmetricKey(size: .bits256))
        let sealer = ArtifactSealer(box: old)
        try sealer.seal(path: path, context: "run1/results_path")
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try sealer.open(path: path + ".sealed", context: "run1/results_path") == content)
        // Another run's context, or a cut-off file, does not open.
        #expect(throws: OnrampError.self) { try sealer.open(path: path + ".sealed", context: "run2/results_path") }
        var sealed = try Data(contentsOf: URL(fileURLWithPath: path + ".sealed"))
        sealed.removeLast(1 << 19)
        try sealed.write(to: URL(fileURLWithPath: path + ".cut"))
        #expect(throws: OnrampError.self) { try sealer.open(path: path + ".cut", context: "run1/results_path") }
        // After a key rotation the previous key still opens it; a stranger's key does not.
        let rotated = ArtifactSealer(box: SecretBox(key: SymmetricKey(size: .bits256)), previous: [old])
        #expect(try rotated.open(path: path + ".sealed", context: "run1/results_path") == content)
        #expect(throws: OnrampError.self) { try ArtifactSealer(box: SecretBox(key: SymmetricKey(size: .bits256))).open(path: path + ".sealed", context: "run1/results_path") }
    }

    /// Read chunk by chunk: at most 1 MiB at a time, lines put together across chunks, a key error at once, and a
    /// later chunk changed or cut off found when it is reached (after the good chunks before it).
    @Test func readsChunkByChunk() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-reader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("errors.ndjson").path
        var text = ""
        for i in 0..<60_000 { text += "{\"n\":\(i),\"pad\":\"\(String(repeating: "x", count: i % 37))\"}\n" }
        text += "\n{\"n\":\"last, no newline\"}"
        let content = Data(text.utf8)
        #expect(content.count > 2 << 20)
        try content.write(to: URL(fileURLWithPath: path))
        let sealer = ArtifactSealer(box: SecretBox(key: SymmetricKey(size: .bits256)))
        try sealer.seal(path: path, context: "r/errors_ndjson_path")
        let pieces = try sealer.reader(path: path + ".sealed", context: "r/errors_ndjson_path")
        var whole = Data(), count = 0
        while let piece = try pieces.next() {
            #expect(piece.count <= 1 << 20)
            whole += piece
            count += 1
        }
        #expect(whole == content && count == 3)
        let lines = try sealer.reader(path: path + ".sealed", context: "r/errors_ndjson_path")
        var got: [Data] = []
        while let batch = try lines.nextLines() { got += batch }
        #expect(got == content.split(separator: 0x0A).map { Data($0) })
        #expect(got.count == 60_001)

        // The first chunk is checked on opening; a stranger's key is refused before anything is read.
        #expect { try ArtifactSealer(box: SecretBox(key: SymmetricKey(size: .bits256)))
            .reader(path: path + ".sealed", context: "r/errors_ndjson_path") } throws: { ($0 as? OnrampError)?.code == "artifact.key" }
        // The last chunk cut off: the two before it are read, then the end is found missing.
        var sealed = try Data(contentsOf: URL(fileURLWithPath: path + ".sealed"))
        let header = 16, firstLength = Int(sealed[header..<header + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        let secondStart = header + 4 + firstLength
        let secondLength = Int(sealed[secondStart..<secondStart + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        try sealed.prefix(secondStart + 4 + secondLength).write(to: URL(fileURLWithPath: path + ".cut"))
        let cut = try sealer.reader(path: path + ".cut", context: "r/errors_ndjson_path")
        #expect(try cut.next()?.count == 1 << 20)
        #expect { try cut.next() } throws: { ($0 as? OnrampError)?.code == "artifact.damaged" }
        // A length prefix no chunk has (4 GiB): refused before it is read.
        try (sealed.prefix(16) + Data([0xFF, 0xFF, 0xFF, 0xFF]) + Data(count: 64)).write(to: URL(fileURLWithPath: path + ".huge"))
        #expect { try sealer.reader(path: path + ".huge", context: "r/errors_ndjson_path") } throws: {
            ($0 as? OnrampError)?.code == "artifact.format"
        }
        // One line across three pieces, read plain: put together whole.
        let long = Data(repeating: 0x61, count: 5 << 19)
        try (long + Data("\nx".utf8)).write(to: URL(fileURLWithPath: path + ".long"))
        let plain = try ArtifactReader(plain: path + ".long")
        #expect(try plain.nextLines() == [long])
        #expect(try plain.nextLines() == [Data("x".utf8)])
        #expect(try plain.nextLines() == nil)
        // A byte changed in the second chunk: the first is read, the second refused.
        sealed[secondStart + 40] ^= 1
        try sealed.write(to: URL(fileURLWithPath: path + ".changed"))
        let changed = try sealer.reader(path: path + ".changed", context: "r/errors_ndjson_path")
        #expect(try changed.next() != nil)
        #expect { try changed.next() } throws: { ($0 as? OnrampError)?.code == "artifact.damaged" }
    }
}
