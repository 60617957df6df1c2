import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import OnrampConnectorKit
import OnrampCore
import OnrampHTTPSupport

/// Posts a run summary to a pipeline's `notify.url`, signed with HMAC-SHA256 so the receiver can
/// check it came from Onramp: `X-Onramp-Signature: sha256=<hex of HMAC(secret, body)>`.
public struct WebhookNotifier: Sendable {
    let client: HTTPClient
    let egress: EgressPolicy
    let logger: Logger
    let policy = RetryPolicy(maxAttempts: 4, baseDelaySeconds: 0.5, maxDelaySeconds: 10)

    /// `client` nil: the outbound client for `egress` (through the pinning proxy when restricted).
    public init(client: HTTPClient? = nil, egress: EgressPolicy = .unrestricted,
                logger: Logger = Logger(label: "onramp.webhook")) throws {
        self.client = try client ?? OutboundClient.client(for: egress)
        self.egress = egress
        self.logger = logger
    }

    public static func signature(_ body: String, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + Hex.string(mac)
    }

    /// Sends the summary, retrying 5xx and transport errors; returns the final HTTP status (nil: never answered).
    @discardableResult
    public func send(_ summary: Value, to notify: PipelineSpec.Notify) async -> Int? {
        let body = JSONWriter.string(summary)
        do { try await egress.check(url: notify.url, field: "notify.url") } catch {
            logger.warning("webhook not sent", metadata: ["reason": "\(error)"])
            return nil
        }
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: notify.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "X-Onramp-Signature", value: Self.signature(body, secret: notify.secret))
            request.body = .bytes(ByteBuffer(string: body))
            let failure: RetryPolicy.Failure
            var answered: Int?
            do {
                let response = try await client.execute(request, timeout: .seconds(10))
                let status = Int(response.status.code)
                if status < 300 { return status }
                answered = status
                failure = .status(status, retryAfterSeconds: nil)
            } catch {
                failure = .transport
            }
            switch policy.decide(attempt: attempt, failure: failure, jitter: Double.random(in: 0..<1)) {
            case .retry(let s): try? await Task.sleep(for: .milliseconds(Int(s * 1000)))
            case .giveUp: return answered
            }
        }
    }
}
