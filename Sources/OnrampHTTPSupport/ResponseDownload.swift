import AsyncHTTPClient
import Foundation
import OnrampCore

/// Streams a response body into a new owner-only file: what the HTTPS and object-store sources download
/// before a file format parses it.
public enum ResponseDownload {
    /// Writes `body` to `path` (created `0600`) and returns its size; past `maxBytes` it throws `tooLarge`.
    public static func save(_ body: HTTPClientResponse.Body, to path: String, maxBytes: Int64,
                            cannotCreate: @autoclosure () -> OnrampError,
                            tooLarge: @autoclosure () -> OnrampError) async throws -> Int64 {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw cannotCreate()
        }
        defer { try? handle.close() }
        var total: Int64 = 0
        for try await chunk in body {
            total += Int64(chunk.readableBytes)
            if total > maxBytes { throw tooLarge() }
            try handle.write(contentsOf: Data(chunk.readableBytesView))
        }
        return total
    }
}
