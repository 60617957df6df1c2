import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import OnrampConnectorKit
import OnrampCore
import OnrampHTTPSupport

/// Posts a run summary to a webhook, signed with HMAC-SHA256 so the receiver can check it came from Onramp:
/// `X-Onramp-Signature: sha256=<hex of HMAC(secret, body)>`, and `X-Onramp-Delivery: <id>` (the same on every retry,
/// so a receiver can drop repeats: delivery is at least once). One attempt per call; the run notices retry.
public struct WebhookNotifier: Sendable {
    let client: HTTPClient
    let egress: EgressPolicy
    let timeout: TimeAmount

    /// `client` nil: the outbound client for `egress` (through the pinning proxy when restricted).
    public init(client: HTTPClient? = nil, egress: EgressPolicy = .unrestricted, timeout: TimeAmount = .seconds(10)) throws {
        self.client = try client ?? OutboundClient.client(for: egress)
        self.egress = egress
        self.timeout = timeout
    }

    public static func signature(_ body: String, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + Hex.string(mac)
    }

    /// Sends the summary once; nil when it was answered 2xx, otherwise why not (a status, no answer, refused by the
    /// egress rules).
    public func deliver(_ summary: Value, to notify: PipelineSpec.Notify, deliveryId: String) async -> String? {
        let body = JSONWriter.string(summary)
        do { try await egress.check(url: notify.url, field: "notify.url") } catch {
            return "not sent: \(error)"
        }
        var request = HTTPClientRequest(url: notify.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Onramp-Signature", value: Self.signature(body, secret: notify.secret))
        request.headers.add(name: "X-Onramp-Delivery", value: deliveryId)
        request.body = .bytes(ByteBuffer(string: body))
        // The whole exchange, body included, under one deadline: a receiver that answers its head and then trickles
        // its body is cut off (the client's own timeout covers only the head).
        let end = HTTPDeadline.end(after: timeout)
        do {
            let (prepared, client, timeout) = (request, client, timeout)
            let response = try await HTTPDeadline.run(by: end, timeout: timeout) { try await client.execute(prepared, timeout: timeout) }
            let status = Int(response.status.code)
            _ = try? await HTTPDeadline.collect(response.body, upTo: 64 << 10, by: end, timeout: timeout)
            return status < 300 ? nil : "answered \(status)"
        } catch {
            return "no answer: \(error)"
        }
    }
}
