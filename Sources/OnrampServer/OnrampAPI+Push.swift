import Crypto
import Foundation
import Hummingbird
import NIOCore
import OnrampConnectorKit
import OnrampCore
import OnrampScheduler
import OnrampStore
#if canImport(Glibc)
import Glibc
#endif

/// Push ingestion: `PUT /api/v1/push/batches/{id}` with a push key stores a batch for the key's pipeline, durably
/// (sealed, synced, recorded) before it answers, once per batch id; the tenant manages the pipeline's push keys and
/// sees its batches under `/tenants/{t}/pipelines/{p}/`.
extension OnrampAPI {
    /// The operator's push limits (`onramp serve --push-…`).
    public struct PushLimits: Sendable {
        /// The largest batch body, as sent (compressed or not).
        public var maxBatchBytes: Int64 = 64 << 20
        /// The bytes a tenant's batches may wait unprocessed; past it pushes are refused (429) until runs catch up.
        public var maxPendingBytes: Int64 = 2 << 30
        /// Pushes a second per tenant on average, and at once.
        public var rate: Double = 20
        public var burst: Double = 40
        /// Pushes a tenant may have open at once (uploads in progress).
        public var uploadsAtOnce = 8
        public init() {}
    }

    static let pushKeyManagers: Set<Role> = [.platformAdmin, .engineer, .tenantAdmin]
    static let pushKeyPrefix = "onp_"

    public var pushFiles: PushBatchFiles { PushBatchFiles(dataDirectory: dataDirectory, artifacts: artifacts) }

    func addPushIngestRoutes(_ router: Router<OnrampRequestContext>, throttle: PushThrottle) {
        let pushGate = PreviewGate(total: 64 * pushLimits.uploadsAtOnce, perTenant: pushLimits.uploadsAtOnce)
        router.put("/api/v1/push/batches/:batch") { request, context in
            let key = try await pushKey(request)
            let batchId = try Self.batchId(context)
            try await Self.takePushToken(throttle, key, rate: pushLimits.rate)
            let pipeline = try await pushPipeline(tenantId: key.tenantId, pipelineId: key.pipelineId)
            if let length = request.headers[.contentLength].flatMap(Int64.init), length > pushLimits.maxBatchBytes {
                throw pushTooLarge()
            }
            let place = try await enterPushGate(pushGate, key)
            defer { withExtendedLifetime(place) {} }
            let received = try await receiveBatch(request.body)
            defer { unlink(received.path) }
            if let stored = try await store.pushBatch(pipelineId: key.pipelineId, batchId: batchId) {
                return try await repeated(stored, sha256: received.sha256, pipeline: pipeline)
            }
            return try await storeBatch(received, key: key, batchId: batchId, pipeline: pipeline, context: context)
        }
        addPushUploadRoutes(router, throttle: throttle, gate: pushGate)
        router.get("/api/v1/push/batches/:batch") { request, context in
            let key = try await pushKey(request)
            let batchId = try Self.batchId(context)
            guard let batch = try await store.pushBatch(pipelineId: key.pipelineId, batchId: batchId) else {
                throw APIError.notFound("batch \(batchId)")
            }
            return JSONResponse.make(Self.batchValue(batch))
        }
    }

    /// 429 `rate_limited` with Retry-After when the tenant is past its pushes a second.
    static func takePushToken(_ throttle: PushThrottle, _ key: PushKeyRecord, rate: Double) async throws {
        guard let wait = await throttle.take(key.tenantId) else { return }
        var e = APIError(.tooManyRequests, "rate_limited",
                         "more than \(Int(rate)) pushes a second for this tenant; retry after the wait")
        e.headers[.retryAfter] = String(Int(wait.rounded(.up)))
        throw e
    }

    /// A place among the tenant's uploads open at once (429 past them), given back when the last reference goes.
    func enterPushGate(_ gate: PreviewGate, _ key: PushKeyRecord) async throws -> GatePlace {
        guard await gate.enter(key.tenantId) else {
            var e = APIError(.tooManyRequests, "rate_limited",
                             "more than \(pushLimits.uploadsAtOnce) pushes at once for this tenant; retry when one ended")
            e.headers[.retryAfter] = "1"
            throw e
        }
        return GatePlace(gate, key.tenantId)
    }

    /// 429 `push.backlog` (queuing a run) when `bytes` more would put the tenant's pending batches past its limit.
    func checkBacklog(_ bytes: Int64, key: PushKeyRecord, pipeline: PipelineVersion) async throws {
        let pending = try await store.pendingPushBytes(tenantId: key.tenantId)
        guard pending + bytes > pushLimits.maxPendingBytes else { return }
        // The backlog only shrinks when a run reads it: make sure one will (a failed run queued none).
        try await runOnArrival(pipeline, windowed: false)
        var e = APIError(.tooManyRequests, "push.backlog",
                         "this tenant's pushed batches waiting to be processed hold \(pending) bytes, and the limit "
                         + "is \(pushLimits.maxPendingBytes); retry once runs have caught up")
        e.headers[.retryAfter] = "60"
        throw e
    }

    /// Stores a batch received whole at `received.path` (not stored yet under its id): sealed, moved into place and
    /// recorded; 201, or the stored one's answer when another request stored the id first.
    func storeBatch(_ received: ReceivedBatch, key: PushKeyRecord, batchId: String, pipeline: PipelineVersion,
                    context: OnrampRequestContext) async throws -> Response {
        try await checkBacklog(received.bytes, key: key, pipeline: pipeline)
        let files = pushFiles
        let object: String
        do {
            object = try await files.keep(received.path, tenantId: key.tenantId, pipelineId: key.pipelineId, batchId: batchId)
        } catch {
            context.logger.error("a pushed batch could not be stored", metadata: ["error": "\(error)"])
            throw APIError(.serviceUnavailable, "artifact.unavailable", "the batch could not be stored; it was not kept, retry it")
        }
        let batch: PushBatchRecord, added: Bool
        do {
            (batch, added) = try await store.addBatch(PushBatchRecord(
                tenantId: key.tenantId, pipelineId: key.pipelineId, batchId: batchId, bytes: received.bytes,
                sha256: received.sha256, gzip: received.gzip, object: object, keyId: key.id, receivedAt: Date()))
        } catch {
            await files.discard(object)
            throw error
        }
        guard added else {
            await files.discard(object)
            return try await repeated(batch, sha256: received.sha256, pipeline: pipeline)
        }
        try await runOnArrival(pipeline)
        return JSONResponse.created(Self.batchValue(batch, duplicate: false), at: "/api/v1/push/batches/\(batchId)")
    }

    func addPushRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.post("/tenants/:tenant/pipelines/:pipeline/push-keys") { request, context in
            let tenant = try context.tenant(allowing: Self.pushKeyManagers)
            let p = try await activePipeline(context, tenant: tenant)
            let body = try await request.jsonBody()
            var name = "push key"
            if let n = body["name"] {
                guard let s = n.stringValue, (1...200).contains(s.count) else {
                    throw APIError(.unprocessableContent, "invalid", "must be a string of 1 to 200 characters", field: "name")
                }
                name = s
            }
            let secret = Self.pushKeyPrefix + AuthMiddleware.newSecret().dropFirst(4)
            let key = PushKeyRecord(id: UUID().uuidString.lowercased(), tenantId: tenant, pipelineId: p.pipelineId, name: name,
                                    secretHash: AuthMiddleware.hash(secret), createdAt: Date())
            try await store.createPushKey(key)
            guard case .object(var out) = Self.pushKeyValue(key) else { return Response(status: .internalServerError) }
            out["key"] = .string(secret)  // shown once; only its hash is stored
            return JSONResponse.created(.object(out), at: "/api/v1/tenants/\(tenant)/pipelines/\(p.pipelineId)/push-keys/\(key.id)")
        }
        api.get("/tenants/:tenant/pipelines/:pipeline/push-keys") { request, context in
            let tenant = try context.tenant(allowing: Self.pushKeyManagers)
            let p = try await pipeline(context, tenant: tenant)
            let page = try ListPage(request).slice(try await store.pushKeys(pipelineId: p.pipelineId)) {
                ListPage.createdKey($0.createdAt, $0.id)
            }
            return JSONResponse.make(["push_keys": .array(page.items.map(Self.pushKeyValue)), "next_cursor": page.next])
        }
        api.delete("/tenants/:tenant/pipelines/:pipeline/push-keys/:key") { _, context in
            let tenant = try context.tenant(allowing: Self.pushKeyManagers)
            let p = try await pipeline(context, tenant: tenant)
            let id = try context.parameters.require("key")
            guard try await store.revokePushKey(id: id, pipelineId: p.pipelineId, at: Date()) else {
                throw APIError.notFound("push key \(id)")
            }
            return Response(status: .noContent)
        }
        api.get("/tenants/:tenant/pipelines/:pipeline/batches") { request, context in
            let tenant = try context.tenant()
            let p = try await pipeline(context, tenant: tenant)
            let q = try QueryValues(request, allowed: ["limit", "cursor"])
            let limit = try q.integer("limit", default: 50, in: 1...500)
            var before: Int64?
            if let token = q.string("cursor") {
                guard let n = Int64(try ListPage.decode(token)), n > 0 else {
                    throw APIError(.unprocessableContent, "invalid", "cursor is not one this server returned", field: "cursor")
                }
                before = n
            }
            let batches = try await store.pushBatchPage(pipelineId: p.pipelineId, before: before, limit: limit + 1)
            let page = batches.prefix(limit)
            let next: Value = batches.count > limit ? page.last.map { .string(ListPage.encode(String($0.sequence))) } ?? .null : .null
            return JSONResponse.make(["batches": .array(page.map { Self.batchValue($0) }), "next_cursor": next,
                                      "pending_bytes": .number(Double(try await store.pendingPushBytes(tenantId: tenant)))])
        }
    }

    /// The live push key in `Authorization: Bearer …` (401 otherwise; an API key is not one).
    func pushKey(_ request: Request) async throws -> PushKeyRecord {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              case let secret = String(header.dropFirst(7)), secret.hasPrefix(Self.pushKeyPrefix), secret.utf8.count <= 200,
              let key = try await store.pushKey(secretHash: AuthMiddleware.hash(secret)) else {
            throw APIError(.unauthorized, "unauthorized", "missing, unknown or revoked push key")
        }
        return key
    }

    /// The key's pipeline, when it can take pushes: it exists, is not archived, and its source is `push`.
    func pushPipeline(tenantId: String, pipelineId: String) async throws -> PipelineVersion {
        guard let p = try await store.pipeline(id: pipelineId, version: nil), p.tenantId == tenantId else {
            throw APIError.notFound("pipeline \(pipelineId)")
        }
        guard p.archivedAt == nil else { throw APIError(.conflict, "archived", "pipeline \(p.name) is archived") }
        try Self.requirePushSource(p)
        return p
    }

    /// 409 `push.not_push_source` unless the pipeline's source is `push`.
    static func requirePushSource(_ p: PipelineVersion) throws {
        guard p.document["source"]?["connector"]?.stringValue == PushedBatch.connector else {
            throw APIError(.conflict, "push.not_push_source",
                           "pipeline \(p.name) does not read pushed batches: its source.connector is not push")
        }
    }

    /// Queues a run of the pipeline for the batch just stored, unless its source says not to or a queued run will
    /// read it anyway (a running one may have listed its batches already, so it does not count). With the source's
    /// `window_seconds`, the run waits that long for more batches (`windowed`: a backlog's run waits for nothing).
    func runOnArrival(_ p: PipelineVersion, windowed: Bool = true) async throws {
        let config = p.document["source"]?["config"]
        guard config?["run_on_arrival"]?.boolValue ?? true else { return }
        let window = windowed ? config?["window_seconds"]?.numberValue ?? 0 : 0
        if try await RunWorker.queuePushRun(store: store, pipeline: p, window: window) { worker?.wake() }
    }

    /// A batch id: 1 to 128 of letters, digits, `.`, `_`, `:` and `-`, starting with a letter or digit.
    static func batchId(_ context: OnrampRequestContext) throws -> String {
        let id = try context.parameters.require("batch")
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")
        guard (1...128).contains(id.count), id.allSatisfy(allowed.contains), id.first!.isLetter || id.first!.isNumber else {
            throw APIError(.unprocessableContent, "invalid",
                           "a batch id has 1 to 128 letters, digits, '.', '_', ':' or '-', and starts with a letter or digit",
                           field: "batch_id")
        }
        return id
    }

    /// The answer to a batch id stored already: the stored batch when the bytes are the same, else 409. A batch still
    /// pending queues a run as a new one does (the first answer may have been lost before its run was queued).
    func repeated(_ stored: PushBatchRecord, sha256: String, pipeline: PipelineVersion) async throws -> Response {
        guard stored.sha256 == sha256 else {
            throw APIError(.conflict, "push.batch_reused",
                           "batch \(stored.batchId) was stored with other content (sha256 \(stored.sha256)); "
                           + "a new batch needs a new id", field: "batch_id")
        }
        if stored.runId == nil { try await runOnArrival(pipeline) }
        return JSONResponse.make(Self.batchValue(stored, duplicate: true))
    }

    func pushTooLarge() -> APIError {
        APIError(.contentTooLarge, "too_large", "a pushed batch may have at most \(pushLimits.maxBatchBytes) bytes "
                 + "(the server's --push-max-batch-mb); split it")
    }

    /// A body received whole into the incoming folder, synced.
    typealias ReceivedBatch = (path: String, bytes: Int64, sha256: String, gzip: Bool)

    /// A new file in the incoming folder (on the data directory's file system, for the renames).
    func incomingPath() throws -> String {
        let folder = pushFiles.incoming
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return "\(folder)/\(UUID().uuidString.lowercased())"
    }

    /// Streams the body into a new owner-only file under the incoming folder, synced; its size, SHA-256 and whether
    /// it is gzipped. Past `limit` bytes (default: a batch's) it is 413, empty 422 unless `allowingEmpty`; over the
    /// limit, empty, or on any error the file is removed.
    func receiveBatch(_ body: RequestBody, limit: Int64? = nil, allowingEmpty: Bool = false) async throws -> ReceivedBatch {
        let path = try incomingPath()
        let most = limit ?? pushLimits.maxBatchBytes
        var digest = BatchDigest()
        let size = try await Self.writeSynced(body, to: path) { buffer, before in
            guard before + Int64(buffer.readableBytes) <= most else { throw pushTooLarge() }
            buffer.withUnsafeReadableBytes { digest.update($0) }
        }
        guard size > 0 || allowingEmpty else {
            unlink(path)
            throw APIError(.unprocessableContent, "invalid", "the batch is empty: send its records in the body", field: "body")
        }
        let (sha256, gzip) = digest.finish()
        return (path, size, sha256, gzip)
    }

    static func pushKeyValue(_ k: PushKeyRecord) -> Value {
        ["id": .string(k.id), "name": .string(k.name), "pipeline_id": .string(k.pipelineId),
         "created_at": .string(ISOTime.string(k.createdAt)), "revoked_at": k.revokedAt.map { .string(ISOTime.string($0)) } ?? .null]
    }

    static func batchValue(_ b: PushBatchRecord, duplicate: Bool? = nil) -> Value {
        var out: Value.Object = [
            "batch_id": .string(b.batchId), "sequence": .number(Double(b.sequence)),
            "state": .string(b.runId == nil ? "pending" : "processed"), "bytes": .number(Double(b.bytes)),
            "sha256": .string(b.sha256), "gzip": .bool(b.gzip), "received_at": .string(ISOTime.string(b.receivedAt)),
            "run_id": b.runId.map(Value.string) ?? .null,
            "processed_at": b.processedAt.map { .string(ISOTime.string($0)) } ?? .null,
        ]
        if let duplicate { out["duplicate"] = .bool(duplicate) }
        return .object(out)
    }
}
