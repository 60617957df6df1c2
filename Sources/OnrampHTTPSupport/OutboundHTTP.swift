import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import OnrampConnectorKit
import OnrampCore

/// The host's `ConnectorHTTPProvider`: every connector's requests go through `OutboundClient`, so they share its
/// connection pools and reach only the addresses the run's egress policy allows.
public struct OutboundHTTP: ConnectorHTTPProvider {
    public init() {}

    public func client(for egress: EgressPolicy) throws -> any ConnectorHTTPClient {
        Client(http: try OutboundClient.client(for: egress), egress: egress)
    }

    struct Client: ConnectorHTTPClient {
        let http: HTTPClient
        let egress: EgressPolicy

        func send(_ request: ConnectorHTTPRequest, field: String) async throws -> ConnectorHTTPResponse {
            try await egress.check(url: request.url, field: field)
            var outgoing = HTTPClientRequest(url: request.url)
            outgoing.method = HTTPMethod(rawValue: request.method)
            for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
            if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
            let timeout = TimeAmount.nanoseconds(Int64(request.timeout.components.seconds) * 1_000_000_000
                                                 + request.timeout.components.attoseconds / 1_000_000_000)
            do {
                let end = HTTPDeadline.end(after: timeout)
                let response = try await http.execute(outgoing, timeout: timeout)
                let payload: ByteBuffer
                do {
                    payload = try await HTTPDeadline.collect(response.body, upTo: request.maxResponseBytes, by: end,
                                                             timeout: timeout)
                } catch is NIOTooManyBytesError {
                    throw OnrampError("http.too_large", "the response from \(request.url) is larger than "
                                      + "\(Self.size(request.maxResponseBytes))", at: field)
                }
                return ConnectorHTTPResponse(status: Int(response.status.code),
                                             headers: response.headers.map { ($0.name, $0.value) },
                                             body: Array(buffer: payload))
            } catch let e as OnrampError {
                throw e
            } catch is CancellationError {
                throw CancellationError()
            } catch let e as HTTPDeadline.Exceeded {
                throw ConnectorHTTPFailure(.timeout, e.description)
            } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout {
                // The same words whether the deadline passed before the head (a loaded machine) or during the body.
                throw ConnectorHTTPFailure(.timeout, HTTPDeadline.Exceeded(timeout: request.timeout).description)
            } catch {
                throw ConnectorHTTPFailure(Self.neverSent(error) ? .notSent : .broken,
                                           TransportErrorText.describe(error))
            }
        }

        static func size(_ bytes: Int) -> String {
            bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
        }

        /// Whether `error` came before the request reached a connection (none could be opened): nothing was sent.
        static func neverSent(_ error: any Error) -> Bool {
            if error is NIOConnectionError { return true }
            if let e = error as? HTTPClientError { return e == .connectTimeout || e == .getConnectionFromPoolTimeout }
            if let e = error as? ChannelError, case .connectTimeout = e { return true }
            if let e = error as? IOError { return e.errnoCode == ECONNREFUSED }
            return false
        }
    }
}
