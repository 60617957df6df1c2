import Crypto
import Foundation
import OnrampCore

/// A JSON file per pipeline in a directory (CLI runs). Written atomically: a crash leaves the old one.
public struct FileCheckpointStore: CheckpointStore {
    public let directory: String
    public init(directory: String) { self.directory = directory }

    /// The key's file. `/`, `\\`, `%`, control bytes and a leading `.` are written `%XX` (a step's state key holds its
    /// name, which may hold anything), so no key names a file outside the directory; pipeline names stay as they are.
    /// A name longer than a file name may be (255 bytes) keeps its first 150 bytes and adds the SHA-256 of the key.
    func path(_ pipeline: String) -> String {
        var name = [UInt8]()
        for b in pipeline.utf8 {
            if b < 0x20 || b == 0x2F || b == 0x5C || b == 0x25 || (b == 0x2E && name.isEmpty) {
                name += Array(String(format: "%%%02X", b).utf8)
            } else {
                name.append(b)
            }
        }
        let suffix = ".checkpoint.json"
        if name.count + suffix.utf8.count > 255 {
            var cut = 150
            while cut > 0, name[cut] & 0xC0 == 0x80 { cut -= 1 }  // not inside a UTF-8 sequence
            name = Array(name[..<cut]) + Array("~\(Hex.string(SHA256.hash(data: Array(pipeline.utf8))))".utf8)
        }
        return "\(directory)/\(String(decoding: name, as: UTF8.self))\(suffix)"
    }

    public func load(pipeline: String) async throws -> Value? {
        guard let data = FileManager.default.contents(atPath: path(pipeline)) else { return nil }
        return try JSONParser.parse([UInt8](data))
    }

    public func commit(pipeline: String, checkpoint: Value) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(JSONWriter.string(checkpoint).utf8).write(to: URL(fileURLWithPath: path(pipeline)), options: .atomic)
    }

    public func reset(pipeline: String) async throws {
        try? FileManager.default.removeItem(atPath: path(pipeline))
    }
}
