import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampEngine
import OnrampExpression
import OnrampTransforms

// Usage: Benchmarks/run.sh [jsonata|csv|grouped|xml|xlsx|cleansing|all]  (or swift run -c release onramp-bench …)
// jsonata: Benchmarks/order-mapping.jsonata over the suite's dataset5, compiled once.
// csv: 1,000,000 order lines CSV -> rename/set -> NDJSON file; records/s and peak memory (VmHWM).
// grouped: the same lines grouped into orders (4 lines each), mapped with JSONata into TAXMAN transactions.
// mapping: issue #12's realistic job (cast, validate, lookup, group, map with the cleansing functions), 1M lines to
//   a file and into the sandbox (a child process), beside Benchmarks/mapping_peer.py; lines/s, transactions/s, CPU.
// control-plane: 10,000 tenants and 100,000 schedules on PostgreSQL (ONRAMP_BENCH_POSTGRES) beside SQLite: fire
//   lateness, queries/s and database CPU over a simulated hour, claims/s (ControlPlaneBenchmarks.swift).
// cleansing: 1M calls each of $parseDecimal (and the first release's, as its peer), $countryCode, $parseDate.
// With ONRAMP_BENCH_PYTHON set (run.sh sets it), each runs its Python peer right after and prints the ratio.

let datasetPath = "Tests/OnrampExpressionTests/Fixtures/jsonata-suite/datasets/dataset5.json"
let expressionPath = "Benchmarks/order-mapping.jsonata"

/// Runs a peer script with the configured Python; returns its output line and the first number in it.
func peer(_ script: String, _ args: [String]) -> (String, Double)? {
    guard let python = ProcessInfo.processInfo.environment["ONRAMP_BENCH_PYTHON"] else { return nil }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = [script] + args
    let pipe = Pipe()
    p.standardOutput = pipe
    do { try p.run() } catch { print("peer \(script) did not start: \(error)"); return nil }
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
    let number = line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }
    return number.map { (line, $0) }
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

func peakMemoryMiB() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
}

func benchJSONata() throws {
    let input = try JSONParser.parse([UInt8](Data(contentsOf: URL(fileURLWithPath: datasetPath))))
    let orderMapping = try String(contentsOfFile: expressionPath, encoding: .utf8)
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
    let rate = Double(n) / elapsed
    print("onramp jsonata order-mapping: \(Int(rate)) evaluations/s (\(n) in \(String(format: "%.2f", elapsed)) s); compile \(String(format: "%.1f", seconds(compileTime) / 1000 * 1e6)) µs/expression")
    if let (line, peerRate) = peer("Benchmarks/jsonata_peer.py", [expressionPath, datasetPath, "3"]) {
        print(line)
        print("ratio onramp/jsonata-rs: \(String(format: "%.2f", rate / peerRate))x")
    }
}

/// 1,000,000 order lines, 4 per order, written in chunks so the input never sits in this process's memory.
func writeOrderLines(to url: URL) throws {
    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    var text = "order_no,line_no,sku,qty,unit_price,region\n"
    for i in 0..<1_000_000 {
        text += "\(100000 + i / 4),\(i % 4 + 1),SKU-\(i % 997),\(i % 7 + 1),\(i % 500).\(i % 100),CA\n"
        if text.utf8.count > 1 << 20 {
            try handle.write(contentsOf: Data(text.utf8))
            text.removeAll(keepingCapacity: true)
        }
    }
    try handle.write(contentsOf: Data(text.utf8))
}

/// Runs `steps` over the 1M order lines from CSV to an NDJSON file, prints lines/s and peak memory,
/// then runs the Python peer on the same file and prints the ratio.
func benchPipeline(_ label: String, steps: String, peerScript: String) async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-bench-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("lines.csv")
    try writeOrderLines(to: input)
    let spec = try PipelineLoader.parse("""
    version: 1
    name: bench
    batch_size: 5000
    source: { connector: csv, config: { path: "\(input.path)" } }
    steps:
    \(steps)
    destination: { connector: file, config: { path: "\(dir.path)/out.ndjson" } }
    """)
    var registry = ConnectorRegistry()
    FileConnectors.register(into: &registry)
    let summary = await PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                                       checkpoints: FileCheckpointStore(directory: dir.path), outputDirectory: dir.path).run()
    let rate = Double(summary.recordsRead) / summary.seconds
    print("onramp \(label): \(Int(rate)) lines/s (\(summary.recordsWritten) written, \(summary.recordsFailed) failed, in \(String(format: "%.2f", summary.seconds)) s), peak memory \(Int(peakMemoryMiB())) MiB (whole process)")
    if let (line, peerRate) = peer(peerScript, [input.path, dir.appendingPathComponent("peer.ndjson").path]) {
        print(line)
        print("ratio onramp/python: \(String(format: "%.2f", rate / peerRate))x")
    }
}

func benchCSV() async throws {
    try await benchPipeline("csv 1M lines -> rename/set -> ndjson", steps: """
      - rename: { order_no: order, line_no: line }
      - set: { amount: "$number(qty) * $number(unit_price)" }
    """, peerScript: "Benchmarks/csv_peer.py")
}

/// The same lines grouped into orders and mapped with JSONata into TAXMAN transactions.
func benchGrouped() async throws {
    try await benchPipeline("grouped 1M lines -> group/map (JSONata, \(ParallelChunks.threads) thread(s)) -> ndjson", steps: """
      - group: { by: order_no, into: lines }
      - map: |
          {
            "transactionId": "ORD-" & order_no,
            "type": "SalesInvoice",
            "date": "2026-11-03",
            "currency": "USD",
            "shipTo": {"country": "US", "region": region},
            "lines": [lines.{
              "number": line_no,
              "itemCode": sku,
              "quantity": $number(qty),
              "amount": $round($number(qty) * $number(unit_price), 2)
            }]
          }
    """, peerScript: "Benchmarks/grouped_peer.py")
}

let mode = CommandLine.arguments.dropFirst().first ?? "all"
if mode == "jsonata" || mode == "all" { try benchJSONata() }
if mode == "csv" || mode == "all" { try await benchCSV() }
if mode == "xml" { try await benchXML() }
if mode == "xlsx" { try await benchXLSX() }
if mode == "cleansing" { try benchCleansing() }
if mode == "mapping" { try await benchMapping() }
if mode == "control-plane" { try await benchControlPlane() }
if mode == "sandbox-server" { try await serveSandbox() }
if mode == "grouped" || mode == "all" { try await benchGrouped() }
