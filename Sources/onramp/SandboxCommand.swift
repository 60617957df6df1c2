import ArgumentParser
import Hummingbird
import OnrampTaxmanSandbox

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "taxman-sandbox", abstract: "Run the local TAXMAN sandbox.")
    @Option var host = "127.0.0.1"
    @Option var port = 8081
    @Option(name: .customLong("api-key"), help: "Accepted API key (repeatable; any non-empty key when none).") var apiKeys: [String] = []
    @Option(help: "Fraction of requests answered 500/503.") var failRate = 0.0
    @Option(help: "Added latency per request.") var latencyMs = 0
    @Option(help: "Requests per second before 429.") var rateLimit: Int?

    func run() async throws {
        var o = TaxmanSandbox.Options()
        o.host = host
        o.port = port
        o.apiKeys = apiKeys
        o.failRate = failRate
        o.latencyMilliseconds = latencyMs
        o.rateLimit = rateLimit
        try await TaxmanSandbox(options: o).application { port in print("taxman sandbox listening on http://\(host):\(port)") }.runService()
    }
}
