import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampEngine
import OnrampExpression

// Usage: swift run -c release onramp-bench [jsonata|csv|all]
// jsonata: ../shared/bench/order-mapping.jsonata over the suite's dataset5, compiled once.
// csv: 1,000,000 order lines CSV -> rename/set -> NDJSON file; records/s and peak memory (VmHWM).

let orderMapping = """
{
  "account": $uppercase(Account.`Account Name`),
  "orders": Account.Order.{
    "id": OrderID,
    "lineCount": $count(Product),
    "total": $round($sum(Product.(Price * Quantity)), 2),
    "skus": $join(Product.SKU, ","),
    "names": Product.$substring(`Product Name`, 0, 8),
    "heavy": Product[Description.Weight > 0.5].`Product Name`
  },
  "grandTotal": $round($sum(Account.Order.Product.(Price * Quantity)), 2)
}
"""

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

func peakMemoryMiB() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
}

func benchJSONata() throws {
    let dataset = URL(fileURLWithPath: "Tests/OnrampExpressionTests/Fixtures/jsonata-suite/datasets/dataset5.json")
    let input = try JSONParser.parse([UInt8](Data(contentsOf: dataset)))
    let clock = ContinuousClock()
    var compiled: JSONata?
    let compileTime = clock.measure { for _ in 0..<1000 { compiled = try? JSONata(orderMapping) } }
    let expr = compiled!
    var n = 0
    let start = clock.now
    let budget = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "3") ?? 3
    while seconds(clock.now - start) < budget {
        for _ in 0..<100 { _ = try expr.evaluate(input) }
        n += 100
    }
    let elapsed = seconds(clock.now - start)
    print("jsonata order-mapping: \(Int(Double(n) / elapsed)) evaluations/s (\(n) in \(String(format: "%.2f", elapsed)) s); compile \(String(format: "%.1f", seconds(compileTime) / 1000 * 1e6)) µs/expression")
}

func benchCSV() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-bench-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("lines.csv")
    var text = "order_no,line_no,sku,qty,unit_price,region\n"
    text.reserveCapacity(48_000_000)
    for i in 0..<1_000_000 { text += "\(100000 + i / 4),\(i % 4 + 1),SKU-\(i % 997),\(i % 7 + 1),\(i % 500).\(i % 100),CA\n" }
    try text.write(to: input, atomically: true, encoding: .utf8)
    let spec = try PipelineLoader.parse("""
    version: 1
    name: bench
    batch_size: 5000
    source: { connector: csv, config: { path: "\(input.path)" } }
    steps:
      - rename: { order_no: order, line_no: line }
      - set: { amount: "$number(qty) * $number(unit_price)" }
    destination: { connector: file, config: { path: "\(dir.path)/out.ndjson" } }
    """)
    var registry = ConnectorRegistry()
    FileConnectors.register(into: &registry)
    let summary = await PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                                       checkpoints: FileCheckpointStore(directory: dir.path), outputDirectory: dir.path).run()
    print("csv 1M lines -> rename/set -> ndjson: \(Int(Double(summary.recordsRead) / summary.seconds)) records/s (\(summary.recordsWritten) written in \(String(format: "%.2f", summary.seconds)) s), peak memory \(Int(peakMemoryMiB())) MiB")
}

let mode = CommandLine.arguments.dropFirst().first ?? "all"
if mode == "jsonata" || mode == "all" { try benchJSONata() }
if mode == "csv" || mode == "all" { try await benchCSV() }
