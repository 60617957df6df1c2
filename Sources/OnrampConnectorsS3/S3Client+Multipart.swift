import Foundation
import NIOCore
import OnrampCore

extension S3Client {
    /// Starts a multipart upload of `key`; its upload id.
    public func createMultipartUpload(_ key: String, contentType: String) async throws -> String {
        let response = try await send(.POST, key: key, query: [("uploads", "")], headers: [("content-type", contentType)],
                                      what: "starting an upload to")
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard let id = S3XML.text("UploadId", in: text) else {
            throw OnrampError("s3.protocol", "S3 started no multipart upload for \(uri(key))", at: field)
        }
        return id
    }

    /// Uploads part `number` (from 1; every part but the last at least 5 MiB); its ETag.
    public func uploadPart(_ key: String, uploadId: String, number: Int, body: [UInt8]) async throws -> String {
        let response = try await send(.PUT, key: key, query: [("partNumber", String(number)), ("uploadId", uploadId)],
                                      body: body, timeout: .minutes(10), what: "uploading a part of")
        guard let etag = response.headers.first(name: "ETag") else {
            throw OnrampError("s3.protocol", "S3 gave no ETag for part \(number) of \(uri(key))", at: field)
        }
        return etag
    }

    /// Completes the upload from its parts' ETags (in part order).
    public func completeMultipartUpload(_ key: String, uploadId: String, etags: [String]) async throws {
        let body = "<CompleteMultipartUpload>" + etags.enumerated().map {
            "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(S3XML.escape($0.element))</ETag></Part>"
        }.joined() + "</CompleteMultipartUpload>"
        let response = try await send(.POST, key: key, query: [("uploadId", uploadId)], body: Array(body.utf8),
                                      timeout: .minutes(10), what: "completing an upload to")
        // S3 may answer 200 and still report an error in the body.
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        if S3XML.text("Code", in: text) != nil { throw failure(status: 200, xml: text, key: key, what: "completing") }
    }

    /// Abandons an upload (its parts are deleted); failures are ignored.
    public func abortMultipartUpload(_ key: String, uploadId: String) async {
        _ = try? await send(.DELETE, key: key, query: [("uploadId", uploadId)], what: "aborting an upload to")
    }
}
