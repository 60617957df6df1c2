import OnrampConnectorKit
import OnrampCore

extension TaxmanDestination {
    /// Sends an empty batch: TAXMAN authenticates it before it refuses it as empty, so a 401 names the key
    /// and any other answer shows the address and the key both work. Nothing is calculated.
    func check() async throws -> ConnectorCheck {
        let url = baseURL + "/v1/transactions/calculate-batch"
        let status: Int
        do {
            status = try await client.send(calculation(Array(#"{"transactions":[]}"#.utf8), timeout: .seconds(15)),
                                           field: "destination.config.base_url").status
        } catch let e as ConnectorHTTPFailure {
            throw OnrampError("check.unreachable", "cannot reach \(baseURL): \(e.message)", at: "destination.config.base_url")
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
