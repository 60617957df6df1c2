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
}
