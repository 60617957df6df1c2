import Crypto
import Foundation
import Metrics
import OnrampConnectorKit
import OnrampCore
import OnrampHTTPSupport

/// `taxman`: sends transactions to TAXMAN's batch endpoint, several requests in flight over
/// keep-alive connections, retrying 429/5xx/timeouts with backoff. Each transaction carries an
/// idempotency key (its id plus a hash of its content): an amended order is calculated anew, a
/// re-sent one is not charged twice. A transaction TAXMAN refuses becomes a load error record.
struct TaxmanDestination: Destination {
    let baseURL: String
    let apiKey: String
    let batchSize: Int
    let concurrency: Int
    let timeout: Duration
    let policy: RetryPolicy
    /// The host's client (`ConnectorResources.http()`): it checks the egress policy on every attempt.
    let client: any ConnectorHTTPClient
    let clock: ConnectorClock
    let ledger = ReconciliationLedger()
    var idempotencyPrefix = ""

    var reconciliation: Reconciliation? { ledger.current }

    func write(_ records: [Record]) async throws -> [RecordOutcome] {
        let chunks = stride(from: 0, to: records.count, by: batchSize).map { Array(records[$0..<min($0 + batchSize, records.count)]) }
        var outcomes = [[RecordOutcome]](repeating: [], count: chunks.count)
        try await withThrowingTaskGroup(of: (Int, [RecordOutcome]).self) { group in
            var next = 0
            func launch() {
                let i = next
                next += 1
                group.addTask { (i, try await send(chunks[i])) }
            }
            while next < min(concurrency, chunks.count) { launch() }
            while let (i, o) = try await group.next() {
                outcomes[i] = o
                if next < chunks.count { launch() }
            }
        }
        return outcomes.flatMap { $0 }
    }

    /// The transaction with its idempotency key: `prefix` + `transactionId` + SHA-256 of the canonical content (a
    /// key the pipeline set gets only the prefix).
    static func keyed(_ tx: Value, prefix: String = "") -> Value {
        guard case .object(var o) = tx else { return tx }
        if let given = o["idempotencyKey"] {
            guard !prefix.isEmpty, let text = given.scalarText else { return tx }
            o["idempotencyKey"] = .string(prefix + text)
            return .object(o)
        }
        o["idempotencyKey"] = .string(idempotencyKey(JSONWriter.string(.object(o)), id: o["transactionId"], prefix: prefix))
        return .object(o)
    }

    /// `prefix` + the transaction id (64 characters at most) + 12 bytes of SHA-256 of its canonical text, in hex.
    static func idempotencyKey(_ canonical: String, id: Value?, prefix: String) -> String {
        let digest = SHA256.hash(data: Data(canonical.utf8))
        return "\(prefix)\((id?.scalarText ?? "").prefix(64))-\(Hex.string(digest.prefix(12)))"
    }

    /// The batch's request body, `{"transactions":[…]}`, each transaction as `keyed` gives it, serialized once: the
    /// text hashed for the key is the text sent, with the key added at its end.
    static func body(_ records: [Record], prefix: String) -> String {
        var out = #"{"transactions":["#
        for (i, r) in records.enumerated() {
            if i > 0 { out += "," }
            guard case .object(let o) = r.value, o["idempotencyKey"] == nil, o.count > 0 else {
                out += JSONWriter.string(keyed(r.value, prefix: prefix))
                continue
            }
            var text = JSONWriter.string(r.value)
            let key = idempotencyKey(text, id: o["transactionId"], prefix: prefix)
            text.removeLast()
            out += text + #","idempotencyKey":"# + JSONWriter.string(.string(key)) + "}"
        }
        return out + "]}"
    }

    private func send(_ records: [Record]) async throws -> [RecordOutcome] {
        let request = calculation(Array(Self.body(records, prefix: idempotencyPrefix).utf8))
        var attempt = 0
        while true {
            attempt += 1
            let failure: RetryPolicy.Failure
            do {
                let started = ContinuousClock.now
                let response = try await client.send(request, field: "destination.config.base_url")
                let elapsed = ContinuousClock.now - started
                Timer(label: "onramp_taxman_request_duration_seconds", dimensions: [("status", String(response.status))],
                      preferredDisplayUnit: .seconds)
                    .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
                let text = String(decoding: response.body, as: UTF8.self)
                let status = response.status
                if status == 200 { return account(records, try Self.outcomes(text, count: records.count)) }
                if status == 401 || status == 403 {
                    throw OnrampError("taxman.unauthorized", "TAXMAN refused the API key (HTTP \(status))", at: "destination.config.api_key")
                }
                if status == 400 || status == 422 {
                    let message = (try? JSONParser.parse(text))?["error"]?["message"]?.stringValue ?? text
                    return account(records, records.map { _ in .failed(code: "taxman.bad_request", message: message) })
                }
                failure = .status(status, retryAfterSeconds: response.header("Retry-After").flatMap(Double.init))
            } catch let e as ConnectorHTTPFailure {
                failure = e.kind == .timeout ? .timeout : .transport
            }
            switch policy.decide(attempt: attempt, failure: failure, jitter: Double.random(in: 0..<1)) {
            case .retry(let seconds):
                try await clock.sleep(.milliseconds(Int(seconds * 1000)))
            case .giveUp:
                throw OnrampError("taxman.unavailable", "TAXMAN did not accept the batch after \(attempt) attempts (last: \(failure))", at: "destination")
            }
        }
    }

    /// A POST of `body` to the batch endpoint with the key.
    func calculation(_ body: [UInt8], timeout: Duration? = nil) -> ConnectorHTTPRequest {
        ConnectorHTTPRequest(method: "POST", url: baseURL + "/v1/transactions/calculate-batch",
                             headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(apiKey)")],
                             body: body, timeout: timeout ?? self.timeout, maxResponseBytes: 64 << 20)
    }

    /// The batch's final outcomes, added to the reconciliation.
    private func account(_ records: [Record], _ outcomes: [RecordOutcome]) -> [RecordOutcome] {
        ledger.add(records, outcomes)
        return outcomes
    }

    static func outcomes(_ text: String, count: Int) throws -> [RecordOutcome] {
        let v = try JSONParser.parse(text)
        guard let results = v["results"]?.arrayValue, results.count == count else {
            throw OnrampError("taxman.protocol", "the batch answer does not hold one result per transaction")
        }
        return results.map { r in
            if let result = r["result"] { return .ok(result: result) }
            let e = r["error"]
            var message = e?["message"]?.stringValue ?? "rejected"
            if let field = e?["field"]?.stringValue { message = "\(field): \(message)" }
            return .failed(code: "taxman.\(e?["code"]?.stringValue ?? "Rejected")", message: message)
        }
    }

    static let spec: DestinationSpec = {
        var spec = baseSpec
        spec.takesDryRuns = true
        return spec
    }()

    private static let baseSpec = DestinationSpec(
        name: "taxman",
        summary: "Calculates tax with TAXMAN (or its sandbox): batches, parallel requests, retries, idempotency keys.",
        configSchema: [
            "type": "object", "additionalProperties": false, "required": ["base_url", "api_key"],
            "properties": [
                "base_url": ["type": "string", "minLength": 1, "pattern": "^https?://", "x-origin": true,
                             "title": "TAXMAN address",
                             "description": "TAXMAN's base URL", "examples": ["https://api.taxman.example", "http://127.0.0.1:8081"]],
                "api_key": ["type": "string", "minLength": 1, "x-secret": true, "format": "password", "title": "API key",
                            "description": "Write ${secret:NAME} (server) or ${env:NAME} (CLI), never the key itself"],
                "batch_size": ["type": "integer", "minimum": 1, "maximum": 100, "default": 100, "title": "Transactions per request"],
                "concurrency": ["type": "integer", "minimum": 1, "maximum": 64, "default": 4, "title": "Requests in flight"],
                "timeout_seconds": ["type": "number", "minimum": 1, "maximum": 600, "default": 30, "title": "Request timeout (seconds)"],
                "max_attempts": ["type": "integer", "minimum": 1, "maximum": 20, "default": 8, "title": "Attempts per request",
                                 "description": "Tries of a request that meets 429, 5xx or a timeout, with backoff"],
            ],
        ],
        build: { config, resources in
            var base = config["base_url"]!.stringValue!
            while base.hasSuffix("/") { base.removeLast() }
            return TaxmanDestination(
                baseURL: base, apiKey: config["api_key"]!.stringValue!,
                batchSize: Int(config["batch_size"]!.numberValue!), concurrency: Int(config["concurrency"]!.numberValue!),
                timeout: .milliseconds(Int64(config["timeout_seconds"]!.numberValue! * 1000)),
                policy: RetryPolicy(maxAttempts: Int(config["max_attempts"]!.numberValue!)),
                client: try resources.http(), clock: resources.clock, idempotencyPrefix: resources.idempotencyPrefix)
        })
}

/// The HTTP-family connectors, for the composition root to register, with the host's HTTP client for every
/// connector (`OutboundHTTP`) unless the registry has one.
public enum HTTPConnectors {
    public static func register(into registry: inout ConnectorRegistry) {
        if registry.http == nil { registry.http = OutboundHTTP() }
        registry.register(TaxmanDestination.spec)
        registry.register(HTTPAPISource.spec)
        registry.register(HTTPDestination.spec)
        registry.register(HTTPSFileSource.spec)
    }
}
