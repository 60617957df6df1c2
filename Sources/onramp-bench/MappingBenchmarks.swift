import Foundation
import Hummingbird
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
import OnrampCore
import OnrampEngine
import OnrampTaxmanSandbox
import OnrampTransforms

// mapping: the issue #12 job — a flat ERP export (1M lines, decimal commas, DD.MM.YYYY dates, country and state
// names) through cast, validate, a lookup on a product table, group and a map with $countryCode, $regionCode and
// $money into TAXMAN transactions — to an NDJSON file, then into the TAXMAN sandbox (a child process, so the CPU
// measured is the client's), each beside Benchmarks/mapping_peer.py doing the same job in the same run.

let mappingLines = Int(ProcessInfo.processInfo.environment["BENCH_LINES"] ?? "1000000") ?? 1_000_000
/// `BENCH_MAPPING_TARGET=file` or `sandbox` runs only that half (for a profile of one).
let mappingTarget = ProcessInfo.processInfo.environment["BENCH_MAPPING_TARGET"]

/// The export: 4 lines per order; ~1 % of lines have a bad quantity (validate refuses them, their order goes on).
func writeERPExport(to url: URL, lines: Int) throws {
    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    let places = [("New York", "United States"), ("Ontario", "Canada"), ("Texas", "U.S.A."), ("Bayern", "Deutschland"),
                  ("California", "USA"), ("British Columbia", "Canada")]
    var text = "order_no;order_date;currency;customer;ship_state;ship_country;line_no;sku;qty;unit_price\n"
    for i in 0..<lines {
        let order = i / 4
        let (state, country) = places[order % places.count]
        let currency = country == "Canada" ? "CAD" : (country == "Deutschland" ? "EUR" : "USD")
        let qty = i % 97 == 0 ? "-1" : "\(i % 7 + 1)"
        text += "\(500000 + order);\(String(format: "%02d", order % 28 + 1)).11.2026;\(currency);C\(order % 5000);\(state);"
            + "\(country);\(i % 4 + 1);SKU-\(i % 997);\(qty);\(1000 + i % 900),\(String(format: "%02d", i % 100))\n"
        if text.utf8.count > 1 << 20 {
            try handle.write(contentsOf: Data(text.utf8))
            text.removeAll(keepingCapacity: true)
        }
    }
    try handle.write(contentsOf: Data(text.utf8))
}

func writeProducts(to url: URL) throws {
    var text = "sku,tax_code\n"
    for i in 0..<997 { text += "SKU-\(i),\(i % 10 == 0 ? "EXEMPT-FOOD" : "")\n" }
    try text.write(to: url, atomically: true, encoding: .utf8)
}

let mappingSteps = #"""
  - cast:
      fields:
        qty: {type: decimal}
        unit_price: {type: decimal, decimal_separator: ","}
        order_date: {type: date, format: DD.MM.YYYY}
  - validate:
      rules:
        - {name: quantity_positive, field: qty, min: 0.001}
        - {name: order_no, field: order_no, required: true}
  - lookup: {table: {file: products.csv}, on: {sku: sku}, set: {tax_code: tax_code}}
  - group: {by: order_no, into: lines}
  - map: |
      {
        "transactionId": "ERP-" & order_no,
        "type": "SalesInvoice",
        "date": order_date,
        "currency": currency,
        "customer": {"id": customer},
        "shipTo": {"region": $regionCode($countryCode(ship_country), ship_state), "country": $countryCode(ship_country)},
        "lines": [lines.{
          "number": $string(line_no),
          "itemCode": sku,
          "quantity": qty,
          "amount": $money(qty * unit_price),
          "taxCode": tax_code ? tax_code : undefined
        }]
      }
"""#

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// `onramp-bench sandbox-server`: the sandbox alone, printing its port (the mapping benchmark's child).
func serveSandbox() async throws {
    var o = TaxmanSandbox.Options()
    o.port = 0
    try await TaxmanSandbox(options: o).application { port in FileHandle.standardOutput.write(Data("port \(port)\n".utf8)) }.runService()
}

/// Starts this executable as a sandbox child; returns it and its base URL.
func startSandboxChild() throws -> (Process, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    p.arguments = ["sandbox-server"]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    var seen = ""
    while !seen.contains("\n") {
        let chunk = pipe.fileHandleForReading.availableData
        if chunk.isEmpty { throw OnrampError("bench.sandbox", "the sandbox child ended: \(seen)") }
        seen += String(decoding: chunk, as: UTF8.self)
    }
    let port = seen.split(separator: "\n").first { $0.hasPrefix("port ") }.map { $0.dropFirst(5) } ?? ""
    return (p, "http://127.0.0.1:\(port)")
}

func benchMapping() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-bench-mapping-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("export.csv")
    try writeERPExport(to: input, lines: mappingLines)
    try writeProducts(to: dir.appendingPathComponent("products.csv"))
    var registry = ConnectorRegistry()
    FileConnectors.register(into: &registry)
    HTTPConnectors.register(into: &registry)
    let (sandbox, url) = try startSandboxChild()
    defer { sandbox.terminate(); sandbox.waitUntilExit() }
    for (target, destination) in [("ndjson file", "{connector: file, config: {path: \"\(dir.path)/out.ndjson\"}}"),
                                  ("sandbox", "{connector: taxman, config: {base_url: \"\(url)\", api_key: k, batch_size: 100, concurrency: 8}}")]
        where mappingTarget == nil || target.hasSuffix(mappingTarget ?? "") {
        let spec = try PipelineLoader.parse("""
        version: 1
        name: mapping
        batch_size: 5000
        source: {connector: csv, config: {path: "\(input.path)", delimiter: ";"}}
        steps:
        \(mappingSteps)
        destination: \(destination)
        """)
        let cpu = cpuSeconds()
        let summary = await PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(files: .local(dir.path)),
                                           checkpoints: FileCheckpointStore(directory: dir.path), outputDirectory: dir.path).run()
        let used = cpuSeconds() - cpu
        let transactions = summary.recordsSent
        print("onramp mapping -> \(target): \(Int(Double(summary.recordsRead) / summary.seconds)) lines/s, "
              + "\(Int(Double(transactions) / summary.seconds)) transactions/s (\(summary.recordsRead) lines, \(transactions) sent, "
              + "\(summary.recordsWritten) accepted, \(summary.recordsFailed) failed, \(String(format: "%.2f", summary.seconds)) s), "
              + "client CPU \(String(format: "%.1f", used / Double(max(transactions, 1)) * 1e6)) ms per 1,000 transactions, "
              + "\(ParallelChunks.threads) thread(s) \(summary.status.rawValue)")
        let peerArgs = [input.path, dir.appendingPathComponent("products.csv").path, target == "sandbox" ? url : dir.path + "/peer.ndjson"]
        if let (line, peerRate) = peer("Benchmarks/mapping_peer.py", peerArgs) {
            print(line)
            print("ratio onramp/python (lines/s): \(String(format: "%.2f", Double(summary.recordsRead) / summary.seconds / peerRate))x")
        }
    }
}
