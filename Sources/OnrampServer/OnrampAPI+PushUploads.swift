import Foundation
import HTTPTypes
import Hummingbird
import OnrampCore
import OnrampStore
#if canImport(Glibc)
import Glibc
#endif

/// Resumable pushes: a batch sent in chunks, `PATCH /api/v1/push/uploads/{batch}` with `Upload-Offset` (where the
/// chunk starts) and, on the first, `Upload-Length` (the whole batch) and optionally `Upload-Checksum: sha256=HEX`.
/// Each chunk is durable before its 202 (`PushUploads`); a connection that broke mid-chunk loses only that chunk, and
/// `GET /api/v1/push/uploads/{batch}` says where to go on. The last chunk stores the batch as a `PUT` would (201).
extension OnrampAPI {
    /// An upload no chunk reached for this long is abandoned (removed; the client starts it again).
    static let uploadSeconds: TimeInterval = 24 * 3600
    /// Uploads a tenant may have in progress at once.
    static let uploadsPerTenant = 32

    static let uploadOffset = HTTPField.Name("Upload-Offset")!
    static let uploadLength = HTTPField.Name("Upload-Length")!
    static let uploadChecksum = HTTPField.Name("Upload-Checksum")!

    var pushUploads: PushUploads { PushUploads(dataDirectory: dataDirectory, sealer: artifacts?.sealer) }

    /// Removes every tenant's abandoned uploads (and uploads a stopped server left half made); how many.
    public func sweepUploads() -> Int { pushUploads.sweep(olderThan: Self.uploadSeconds) }

    func addPushUploadRoutes(_ router: Router<OnrampRequestContext>, throttle: PushThrottle, gate: PreviewGate) {
        router.patch("/api/v1/push/uploads/:batch") { request, context in
            let key = try await pushKey(request)
            let batchId = try Self.batchId(context)
            try await Self.takePushToken(throttle, key, rate: pushLimits.rate)
            let pipeline = try await pushPipeline(tenantId: key.tenantId, pipelineId: key.pipelineId)
            let offset = try Self.headerNumber(request, Self.uploadOffset, required: true)!
            let length = try Self.headerNumber(request, Self.uploadLength, required: false)
            let uploads = pushUploads
            let folder = uploads.folder(key.tenantId, key.pipelineId, batchId)
            if uploads.state(at: folder) == nil {
                if let early = try await beginUpload(request, key: key, batchId: batchId, pipeline: pipeline, offset: offset,
                                                     length: length, at: folder) {
                    return early
                }
            }
            guard let before = uploads.state(at: folder) else { throw APIError.notFound("upload of batch \(batchId)") }
            if let length, length != before.length {
                throw APIError(.conflict, "conflict", "the upload of batch \(batchId) is \(before.length) bytes long, not "
                               + "\(length)", field: "Upload-Length")
            }
            guard offset == before.offset else { throw Self.offsetMismatch(batchId, before) }
            let place = try await enterPushGate(gate, key)
            defer { withExtendedLifetime(place) {} }
            // The chunk is received before the lock is taken: a connection that hangs holds no lock.
            let chunk = try await receiveBatch(request.body, limit: before.length - offset, allowingEmpty: true)
            defer { unlink(chunk.path) }
            guard let fd = uploads.lock(at: folder) else {
                guard uploads.state(at: folder) != nil else { throw APIError.notFound("upload of batch \(batchId)") }
                var e = APIError(.conflict, "push.upload_busy", "another request is adding a chunk to batch \(batchId); "
                                 + "ask where the upload stands (GET), then go on")
                e.headers[.retryAfter] = "1"
                throw e
            }
            defer { close(fd) }
            guard let state = uploads.state(at: folder) else { throw APIError.notFound("upload of batch \(batchId)") }
            // Made again meanwhile (removed and started over): this chunk was meant for the one before.
            guard offset == state.offset, state.length == before.length else { throw Self.offsetMismatch(batchId, state) }
            if chunk.bytes > 0 {
                let count = uploads.chunks(at: folder).count
                guard count < PushUploads.maxChunks - 1 || offset + chunk.bytes == state.length else {
                    throw APIError(.unprocessableContent, "invalid", "an upload has at most \(PushUploads.maxChunks) "
                                   + "chunks; send larger ones", field: "body")
                }
                try uploads.append(chunk.path, at: folder, chunk: .init(offset: offset, length: chunk.bytes),
                                   pipelineId: key.pipelineId, batchId: batchId)
            } else if state.offset < state.length {
                throw APIError(.unprocessableContent, "invalid", "the chunk is empty: send the batch's bytes from "
                               + "Upload-Offset", field: "body")
            }
            // An empty chunk at the end stores a batch whose chunks are all in (the request with the last one failed).
            let now = PushUploads.State(length: state.length, offset: offset + chunk.bytes, sha256: state.sha256,
                                        keyId: state.keyId, updatedAt: Date())
            guard now.offset == now.length else {
                return Self.uploadResponse(batchId, now, status: .accepted)
            }
            return try await completeUpload(key: key, batchId: batchId, pipeline: pipeline, state: now, at: folder,
                                            context: context)
        }
        router.get("/api/v1/push/uploads/:batch") { request, context in
            let key = try await pushKey(request)
            let batchId = try Self.batchId(context)
            guard let state = pushUploads.state(at: pushUploads.folder(key.tenantId, key.pipelineId, batchId)) else {
                throw APIError.notFound("upload of batch \(batchId) (finished, abandoned or never started: a stored "
                                        + "batch is at /api/v1/push/batches/\(batchId))")
            }
            return Self.uploadResponse(batchId, state, status: .ok)
        }
        router.delete("/api/v1/push/uploads/:batch") { request, context in
            let key = try await pushKey(request)
            let batchId = try Self.batchId(context)
            try await Self.takePushToken(throttle, key, rate: pushLimits.rate)
            let uploads = pushUploads
            let folder = uploads.folder(key.tenantId, key.pipelineId, batchId)
            guard uploads.state(at: folder) != nil else { throw APIError.notFound("upload of batch \(batchId)") }
            guard let fd = uploads.lock(at: folder) else {
                throw APIError(.conflict, "push.upload_busy", "a chunk of batch \(batchId) is being received")
            }
            uploads.remove(at: folder)
            close(fd)
            return Response(status: .noContent)
        }
    }

    /// Starts the upload on its first chunk; an answer when there is nothing to upload (the batch is stored already).
    func beginUpload(_ request: Request, key: PushKeyRecord, batchId: String, pipeline: PipelineVersion, offset: Int64,
                     length: Int64?, at folder: String) async throws -> Response? {
        guard offset == 0 else {
            throw Self.offsetMismatch(batchId, PushUploads.State(length: length ?? 0, offset: 0, sha256: nil, keyId: key.id,
                                                                  updatedAt: Date()))
        }
        guard let length, length > 0 else {
            throw APIError(.unprocessableContent, "missing", "the first chunk says how long the whole batch is",
                           field: "Upload-Length")
        }
        guard length <= pushLimits.maxBatchBytes else { throw pushTooLarge() }
        var sha256: String?
        if let text = request.headers[Self.uploadChecksum] {
            let hex = text.hasPrefix("sha256=") ? String(text.dropFirst(7)).lowercased() : ""
            guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
                throw APIError(.unprocessableContent, "invalid", "must be sha256= and 64 hex digits", field: "Upload-Checksum")
            }
            sha256 = hex
        }
        if let stored = try await store.pushBatch(pipelineId: key.pipelineId, batchId: batchId) {
            // Stored already (the last chunk's answer was lost): the same bytes are a duplicate, by their checksum.
            guard let sha256 else {
                throw APIError(.conflict, "push.batch_reused", "batch \(batchId) is stored already; send Upload-Checksum "
                               + "to confirm it is the same, or use a new batch id", field: "batch_id")
            }
            return try await repeated(stored, sha256: sha256, pipeline: pipeline)
        }
        let uploads = pushUploads
        _ = uploads.sweep(olderThan: Self.uploadSeconds, tenantId: key.tenantId)
        // What the tenant's uploads in progress will hold counts as waiting already.
        try await checkBacklog(length + uploads.pendingBytes(tenantId: key.tenantId), key: key, pipeline: pipeline)
        guard uploads.count(tenantId: key.tenantId) < Self.uploadsPerTenant else {
            var e = APIError(.tooManyRequests, "rate_limited", "this tenant has \(Self.uploadsPerTenant) uploads in "
                             + "progress; finish or remove one (DELETE) first")
            e.headers[.retryAfter] = "60"
            throw e
        }
        try uploads.begin(at: folder, length: length, sha256: sha256, keyId: key.id)
        return nil
    }

    /// The last chunk is in: the chunks become one batch, stored as a `PUT` stores one, and the upload goes.
    func completeUpload(key: PushKeyRecord, batchId: String, pipeline: PipelineVersion, state: PushUploads.State,
                        at folder: String, context: OnrampRequestContext) async throws -> Response {
        let uploads = pushUploads
        if let stored = try await store.pushBatch(pipelineId: key.pipelineId, batchId: batchId), let announced = state.sha256 {
            // Stored by an earlier finish whose answer was lost: no need to open the chunks again.
            defer { uploads.remove(at: folder) }
            return try await repeated(stored, sha256: announced, pipeline: pipeline)
        }
        try await checkBacklog(state.length, key: key, pipeline: pipeline)
        let path = try incomingPath()
        defer { unlink(path) }
        let whole: (bytes: Int64, sha256: String, gzip: Bool)
        do {
            whole = try uploads.assemble(at: folder, into: path, pipelineId: key.pipelineId, batchId: batchId)
        } catch {
            // A chunk that cannot be read back (damaged, or its key gone) is never going to be: the client starts over.
            context.logger.error("an upload's chunks could not be read back", metadata: ["batch": "\(batchId)",
                                                                                          "error": "\(error)"])
            uploads.remove(at: folder)
            throw APIError(.unprocessableContent, "push.upload_checksum", "the chunks of batch \(batchId) could not be "
                           + "read back; the upload is dropped: send it again", field: "body")
        }
        if let announced = state.sha256, announced != whole.sha256 {
            uploads.remove(at: folder)
            throw APIError(.unprocessableContent, "push.upload_checksum", "the \(whole.bytes) bytes received have sha256 "
                           + "\(whole.sha256), not the Upload-Checksum \(announced); the upload is dropped: send it again",
                           field: "Upload-Checksum")
        }
        let received: ReceivedBatch = (path, whole.bytes, whole.sha256, whole.gzip)
        if let stored = try await store.pushBatch(pipelineId: key.pipelineId, batchId: batchId) {
            defer { uploads.remove(at: folder) }  // a 409 for other bytes ends the upload as a 200 does
            return try await repeated(stored, sha256: whole.sha256, pipeline: pipeline)
        }
        let response = try await storeBatch(received, key: key, batchId: batchId, pipeline: pipeline, context: context)
        uploads.remove(at: folder)
        return response
    }

    static func offsetMismatch(_ batchId: String, _ state: PushUploads.State) -> APIError {
        var e = APIError(.conflict, "push.upload_offset", "the upload of batch \(batchId) stands at byte \(state.offset): "
                         + "send the chunk that starts there", field: "Upload-Offset")
        e.headers[Self.uploadOffset] = String(state.offset)
        return e
    }

    static func uploadResponse(_ batchId: String, _ state: PushUploads.State, status: HTTPResponse.Status) -> Response {
        var response = JSONResponse.make([
            "batch_id": .string(batchId), "offset": .number(Double(state.offset)), "length": .number(Double(state.length)),
            "expires_at": .string(ISOTime.string(state.updatedAt.addingTimeInterval(uploadSeconds))),
        ], status: status)
        response.headers[uploadOffset] = String(state.offset)
        return response
    }

    /// A whole number of 0 or more in a header (422 naming it otherwise).
    static func headerNumber(_ request: Request, _ name: HTTPField.Name, required: Bool) throws -> Int64? {
        guard let text = request.headers[name] else {
            if required { throw APIError(.unprocessableContent, "missing", "is required", field: name.canonicalName) }
            return nil
        }
        guard let n = Int64(text), n >= 0 else {
            throw APIError(.unprocessableContent, "invalid", "must be a whole number of bytes", field: name.canonicalName)
        }
        return n
    }
}
