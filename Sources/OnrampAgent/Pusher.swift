import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import OnrampCore

/// Sends the spool's pushable segments to the platform, oldest first, one at a time, each as batch `SPOOLID-SEQ`
/// (the same id however often it is sent, so the platform stores it once), and removes a segment only once the
/// platform answered 201 or 200. Outages and refusals wait (`PushBackoff`) and keep the segment.
public actor Pusher {
    let spool: Spool
    let base: String
    let endpoint: String
    let key: String
    let http: HTTPClient
    let logger: Logger
    var backoff = PushBackoff()
    public private(set) var lastError: String?
    public private(set) var lastPushAt: Date?
    public private(set) var pushed = 0

    /// Bodies larger than this go in chunks of this size, which a broken connection does not lose (`ChunkedUpload`).
    let chunkBytes: Int

    /// After a 404 to a heartbeat (a plain push key, or a server without agents): how long until it asks again.
    let notAgentPause: Duration

    public init(spool: Spool, server: String, key: String, caFile: String?, chunkBytes: Int = 1 << 20,
                notAgentPause: Duration = .seconds(600), logger: Logger) throws {
        let http = try Self.client(server: server, caFile: caFile)
        self.spool = spool
        base = (server.hasSuffix("/") ? String(server.dropLast()) : server) + "/api/v1"
        endpoint = base + "/push/batches/"
        self.key = key
        self.chunkBytes = chunkBytes
        self.notAgentPause = notAgentPause
        self.logger = logger
        self.http = http
    }

    /// An HTTP client for `server` (https, or http to this machine only), trusting `caFile`'s CAs when given.
    public static func client(server: String, caFile: String?) throws -> HTTPClient {
        guard let url = URL(string: server), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, url.query == nil, url.user == nil else {
            throw OnrampError("agent.server", "the server must be an http:// or https:// URL without credentials or query",
                              at: "destination.config.server")
        }
        // The push key is a bearer secret: it crosses a network only inside TLS.
        guard scheme == "https" || ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) else {
            throw OnrampError("agent.server", "the push key would travel in clear: give an https:// URL (plain http only to "
                              + "this machine)", at: "destination.config.server")
        }
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(10), read: .seconds(120)))
        if let caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) } catch {
                throw OnrampError("agent.ca", "cannot read the CA certificates: \(error)", at: "destination.config.ca_file")
            }
            configuration.tlsConfiguration = tls
        }
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Sends a heartbeat with the agent's status, which the platform holds up to `wait` seconds until it has news
    /// for the agent (a run asked for, a new config); its answer, nil when it did not answer or this key is not an
    /// enrolled agent's (404: `heartbeats` is false for `notAgentPause`, then one is tried again, so a 404 of a server
    /// being replaced does not end them for good).
    public func heartbeat(_ status: Value, wait: Double = 0) async -> Value? {
        guard heartbeats else { return nil }
        let seconds = Int(min(max(wait, 0), Self.longestWait).rounded(.down))
        var request = authorized(base + "/agent/heartbeat" + (seconds > 0 ? "?wait=\(seconds)" : ""), .POST,
                                 contentType: "application/json")
        request.body = .bytes(ByteBuffer(string: JSONWriter.string(status)))
        do {
            let response = try await http.execute(request, timeout: .seconds(Int64(seconds) + 30))
            let answer = try await response.body.collect(upTo: 1 << 20)
            if response.status.code == 404 { pause.notAnAgent(at: ContinuousClock.now, for: notAgentPause) }
            guard response.status.code == 200 else { return nil }
            pause.answered()
            return try? JSONParser.parse([UInt8](buffer: answer))
        } catch {
            return nil
        }
    }

    /// The longest a heartbeat waits for news (the platform's bound too).
    public static let longestWait = 55.0

    /// False for a while after the platform said this key is no enrolled agent's.
    public var heartbeats: Bool { pause.allows(at: ContinuousClock.now) }
    private var pause = HeartbeatPause()

    public func shutdown() async { try? await http.shutdown() }

    /// Pushes until cancelled (or, with `untilEmpty`, until nothing pushable is left). A damaged segment stops it.
    public func run(untilEmpty: Bool = false) async throws {
        if let first = await spool.corrupt.first {
            throw OnrampError("spool.corrupt", "the spool holds a damaged segment (corrupt/\(first)); nothing is pushed until a "
                              + "person has looked at it and removed it from the corrupt folder", at: spool.directory)
        }
        while !Task.isCancelled {
            guard let segment = await spool.next() else {
                if untilEmpty { return }
                await spool.waitForChange()
                continue
            }
            let body: Data
            do { body = try await spool.payload(segment) } catch {
                lastError = "\(error)"
                logger.error("a spool segment cannot be pushed; pushing stops", metadata: ["error": "\(error)"])
                throw error
            }
            let wait = backoff.next(after: await send(body, batch: "\(spool.id)-\(segment.sequence)"))
            if wait == 0 {
                await spool.remove(segment)
                pushed += 1
                lastPushAt = Date()
                continue
            }
            try await Task.sleep(for: .seconds(wait))  // throws when cancelled
        }
    }


    /// One batch: in chunks when it is larger than `chunkBytes` (on a platform that takes them), else one PUT.
    func send(_ body: Data, batch: String) async -> PushBackoff.Outcome {
        guard body.count > chunkBytes else { return await sendWhole(body, batch: batch) }
        // Never more chunks than the platform takes for one upload (1,024): a small chunk size grows for a big batch.
        var upload = ChunkedUpload(length: body.count, chunk: max(chunkBytes, (body.count + 999) / 1000))
        while true {
            switch upload.next() {
            case .finished(let outcome):
                if outcome == .stored { lastError = nil }
                return outcome
            case .whole:
                return await sendWhole(body, batch: batch)
            case .ask:
                upload.took(await uploadCall(.GET, batch: batch, headers: [], body: nil))
            case .send(let range):
                var headers = [("Upload-Offset", String(range.lowerBound)), ("Upload-Length", String(body.count))]
                if range.lowerBound == 0 { headers.append(("Upload-Checksum", "sha256=" + Hex.string(SHA256.hash(data: body)))) }
                upload.took(await uploadCall(.PATCH, batch: batch, headers: headers, body: body.subdata(in: range)))
            }
        }
    }

    /// A request to the platform with the key (and the body's type).
    func authorized(_ url: String, _ method: HTTPMethod, contentType: String?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        return request
    }

    /// One request of a chunked upload: what came back (`lastError` says why when it was not what was hoped for).
    func uploadCall(_ method: HTTPMethod, batch: String, headers: [(String, String)], body: Data?) async -> ChunkedUpload.Answer {
        var request = authorized(base + "/push/uploads/" + batch, method,
                                 contentType: body == nil ? nil : "application/octet-stream")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(data: body)) }
        do {
            let response = try await http.execute(request, timeout: .seconds(120))
            let text = try await response.body.collect(upTo: 1 << 20)
            let status = Int(response.status.code)
            let error = (try? JSONParser.parse([UInt8](buffer: text)))?["error"]
            if status >= 400, !(status == 404 && method == .GET), error?["code"]?.stringValue != "push.upload_offset" {
                lastError = "batch \(batch): \(status) \(error?["message"]?.stringValue ?? "")"
                logger.warning("the platform did not take a chunk; the batch stays in the spool", metadata: [
                    "batch": "\(batch)", "status": "\(status)", "message": "\(error?["message"]?.stringValue ?? "")"])
            }
            return .init(status: status, code: error?["code"]?.stringValue,
                         offset: response.headers.first(name: "Upload-Offset").flatMap(Int.init),
                         retryAfter: response.headers.first(name: "Retry-After").flatMap(Double.init))
        } catch {
            lastError = "batch \(batch): no answer from the platform: \(error)"
            return .init(status: nil)
        }
    }

    /// One PUT; the outcome by its status (nil when there was no answer), with why in `lastError`.
    func sendWhole(_ body: Data, batch: String) async -> PushBackoff.Outcome {
        var request = authorized(endpoint + batch, .PUT, contentType: "application/x-ndjson")
        request.body = .bytes(ByteBuffer(data: body))
        do {
            let response = try await http.execute(request, timeout: .seconds(120))
            let answer = try await response.body.collect(upTo: 1 << 20)
            let status = Int(response.status.code)
            let outcome = PushBackoff.outcome(status: status, retryAfter: response.headers.first(name: "Retry-After").flatMap(Double.init))
            if outcome != .stored {
                let message = (try? JSONParser.parse([UInt8](buffer: answer)))?["error"]?["message"]?.stringValue ?? ""
                lastError = "batch \(batch): \(status) \(message)"
                logger.warning("the platform did not take a batch; it stays in the spool", metadata: [
                    "batch": "\(batch)", "status": "\(status)", "message": "\(message)"])
            } else {
                lastError = nil
            }
            return outcome
        } catch {
            lastError = "batch \(batch): no answer from the platform: \(error)"
            logger.warning("the platform did not answer; the batch stays in the spool", metadata: ["batch": "\(batch)", "error": "\(error)"])
            return .transient(retryAfter: nil)
        }
    }
}

/// Whether heartbeats go out: not for a while after a 404 (this key is no enrolled agent's, or the server is being
/// replaced), again after that, and for good once one is answered.
struct HeartbeatPause {
    private var until: ContinuousClock.Instant?

    mutating func notAnAgent(at now: ContinuousClock.Instant, for pause: Duration) { until = now + pause }
    mutating func answered() { until = nil }
    func allows(at now: ContinuousClock.Instant) -> Bool { until.map { now >= $0 } ?? true }
}
