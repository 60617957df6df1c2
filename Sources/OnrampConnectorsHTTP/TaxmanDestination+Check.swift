import AsyncHTTPClient
import NIOCore
import OnrampConnectorKit
import OnrampCore
import OnrampHTTPSupport

extension TaxmanDestination {
    /// Sends an empty batch: TAXMAN authenticates it before it refuses it as empty, so a 401 names the key
    /// and any other answer shows the address and the key both work. Nothing is calculated.
    func check() async throws -> ConnectorCheck {
        let url = baseURL + "/v1/transactions/calculate-batch"
        try await egress.check(url: baseURL, field: "destination.config.base_url")
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        request.body = .bytes(ByteBuffer(string: #"{"transactions":[]}"#))
        let status: Int
        do {
            let end = HTTPDeadline.end(after: .seconds(15))
            let response = try await client.execute(request, timeout: .seconds(15))
            status = Int(response.status.code)
            do {
                _ = try await HTTPDeadline.collect(response.body, upTo: 1 << 20, by: end, timeout: .seconds(15))
            } catch is NIOTooManyBytesError {}
        } catch {
            throw OnrampError("check.unreachable", "cannot reach \(baseURL): \(TransportErrorText.describe(error))",
                              at: "destination.config.base_url")
        }
        switch status {
        case 401, 403:
            throw OnrampError("check.unauthorized", "\(status) from \(url): check the API key", at: "destination.config.api_key")
        case 404:
            throw OnrampError("check.not_found", "404 from \(url): is base_url TAXMAN's address?", at: "destination.config.base_url")
        case 500...:
            throw OnrampError("check.unavailable", "TAXMAN at \(baseURL) answered \(status); try again later",
                              at: "destination.config.base_url")
        default:
            return ConnectorCheck(message: "TAXMAN at \(baseURL) accepted the API key")
        }
    }
}
