import ArgumentParser
import Foundation
import OnrampCore
import OnrampDeploy

/// How `pull` and `push` reach a server: its URL, the tenant, an API key (from a file or `$ONRAMP_API_KEY`, never
/// an argument), and for HTTPS with a private CA the CA's certificates.
struct DeployServerOptions: ParsableArguments {
    @Option(help: "The server, http(s)://host[:port].") var server: String
    @Option(help: "The tenant's id.") var tenant: String
    @Option(help: "A file holding the API key (default: $ONRAMP_API_KEY).") var apiKeyFile: String?
    @Option(help: "PEM certificates of the CA to trust for an https server (a private CA).") var caFile: String?

    func client() throws -> DeployClient {
        var key: String
        if let apiKeyFile {
            guard let data = FileManager.default.contents(atPath: apiKeyFile),
                let text = String(data: data, encoding: .utf8)
            else {
                throw OnrampError("deploy.api_key", "cannot read the API key file", at: apiKeyFile)
            }
            key = text
        } else if let env = ProcessInfo.processInfo.environment["ONRAMP_API_KEY"] {
            key = env
        } else {
            throw OnrampError(
                "deploy.api_key", "no API key: give --api-key-file FILE or set ONRAMP_API_KEY", at: "--api-key-file")
        }
        key = key.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty, !key.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw OnrampError(
                "deploy.api_key", "the API key is empty or holds white space", at: apiKeyFile ?? "ONRAMP_API_KEY")
        }
        return try DeployClient(server: server, tenant: tenant, apiKey: key, caFile: caFile)
    }
}
