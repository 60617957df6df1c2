import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampTaxmanSandbox
import ServiceLifecycle

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Generate a sample ERP export, start the TAXMAN sandbox and run the ACME pipeline (examples/acme-orders.yaml, built in) against it.")
    @Option(help: "A pipeline file to run instead of the built-in examples/acme-orders.yaml.") var pipeline: String?
    @Option(help: "Where the demo writes its export, results and error report.") var directory = "demo-output"
    @Option(help: "How many orders to generate.") var orders = 3000

    func run() async throws {
        try? FileManager.default.removeItem(atPath: directory)
        let exportDir = "\(directory)/erp-export"
        let count = try DemoData.write(to: exportDir, orders: orders)
        print("1. wrote a sample ERP export: \(count) orders in \(exportDir)/orders-*.csv (Windows-1252, ';', decimal commas, a few broken rows)")

        var options = TaxmanSandbox.Options()
        options.port = 0
        let sandbox = try TaxmanSandbox(options: options)
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = sandbox.application { port in portContinuation.yield(port) }
        // Stopped with a graceful shutdown at the end, as a server is stopped (nothing logged as an error).
        let services = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "onramp-demo")))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var it = portStream.makeAsyncIterator()
            guard let port = await it.next() else { throw OnrampError("demo.sandbox", "the sandbox did not start") }
            print("2. started the TAXMAN sandbox on http://127.0.0.1:\(port)")
            let env = ProcessInfo.processInfo.environment.merging(
                ["ACME_EXPORT_DIR": URL(fileURLWithPath: exportDir).path,
                 "TAXMAN_URL": "http://127.0.0.1:\(port)", "TAXMAN_API_KEY": "demo-key"], uniquingKeysWith: { _, b in b })
            let spec = try pipeline.map { try PipelineLoader.load(path: $0, environment: env) }
                ?? PipelineLoader.parse(BundledPipelines.acmeOrders, file: "acme-orders.yaml", environment: env)
            let shown = pipeline ?? "the built-in examples/acme-orders.yaml"
            print("3. running \(shown) ...")
            let summary = await PipelineRunner(
                spec: spec, registry: .build(), resources: .forPipeline(pipeline ?? "\(directory)/acme-orders.yaml"),
                checkpoints: FileCheckpointStore(directory: "\(directory)/state"), outputDirectory: directory
            ).run()
            RunCommand.printSummary(summary, json: false)
            let stats = try await Self.get("http://127.0.0.1:\(port)/_sandbox/stats")
            print("4. TAXMAN sandbox stats: \(stats)")
            if let path = summary.resultsPath, let first = try? String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").first {
                print("   first result: \(first.prefix(300))…")
            }
            print("   run it again: the demo starts over (a new export, no incremental state, a new sandbox), so every order")
            print("   is sent again; against a real TAXMAN, the idempotency keys make such repeats free.")
            print("   incremental: with `onramp taxman-sandbox` running, `ACME_EXPORT_DIR=\(exportDir) TAXMAN_URL=http://127.0.0.1:8081 "
                  + "TAXMAN_API_KEY=demo-key onramp run \(pipeline ?? "examples/acme-orders.yaml")` twice: the second run reads "
                  + "only new files.")
            await services.triggerGracefulShutdown()
        }
    }

    static func get(_ url: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return String(decoding: data, as: UTF8.self)
    }
}
