import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampEngine
import ZIPFoundation

// xml: a generated XML file (BENCH_XML_MB, default 1024 MiB) of <Order> records -> NDJSON, beside Python's
//   xml.etree.iterparse (and lxml.etree.iterparse when installed).
// xlsx: a generated 1M-row workbook (BENCH_XLSX_ROWS) -> NDJSON, beside openpyxl's read-only mode.

/// Writes `total` bytes of text made by `chunk(i)` calls, in 1 MiB writes; the number of chunks written.
func writeChunks(to url: URL, head: String, tail: String, until done: (Int, Int) -> Bool, _ chunk: (Int) -> String) throws -> Int {
    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    var text = head, written = 0, i = 0
    while !done(i, written + text.utf8.count) {
        text += chunk(i)
        i += 1
        if text.utf8.count > 1 << 20 {
            try handle.write(contentsOf: Data(text.utf8))
            written += text.utf8.count
            text.removeAll(keepingCapacity: true)
        }
    }
    try handle.write(contentsOf: Data((text + tail).utf8))
    return i
}

/// Runs a file source over `input` into an NDJSON file; prints records/s and peak memory; the rate.
func runFormatPipeline(_ label: String, connector: String, options: String, input: URL, dir: URL) async throws -> Double {
    let spec = try PipelineLoader.parse("""
    version: 1
    name: bench-\(connector)
    batch_size: 5000
    source: { connector: \(connector), config: { path: "\(input.path)"\(options) } }
    destination: { connector: file, config: { path: "\(dir.path)/out.ndjson" } }
    """)
    var registry = ConnectorRegistry()
    FileConnectors.register(into: &registry)
    let summary = await PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                                       checkpoints: FileCheckpointStore(directory: dir.path), outputDirectory: dir.path).run()
    let rate = Double(summary.recordsRead) / summary.seconds
    print("onramp \(label): \(Int(rate)) records/s (\(summary.recordsWritten) written, \(summary.recordsFailed) failed, "
          + "in \(String(format: "%.2f", summary.seconds)) s), peak memory \(Int(peakMemoryMiB())) MiB (whole process)"
          + (summary.failureReason.map { "; FAILED: \($0)" } ?? ""))
    return rate
}

func benchDirectory(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-bench-\(name)-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

func benchXML() async throws {
    let dir = try benchDirectory("xml")
    defer { try? FileManager.default.removeItem(at: dir) }
    let megabytes = Int(ProcessInfo.processInfo.environment["BENCH_XML_MB"] ?? "1024") ?? 1024
    let input = dir.appendingPathComponent("orders.xml")
    let count = try writeChunks(to: input, head: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Orders>\n", tail: "</Orders>\n",
                                until: { _, bytes in bytes >= megabytes << 20 }) { i in
        "<Order id=\"\(100000 + i)\" status=\"open\"><Customer>Customer &amp; Co \(i % 997)</Customer>"
            + "<Total currency=\"EUR\">\(i % 500).\(i % 100)</Total><Line sku=\"SKU-\(i % 97)\">\(i % 7 + 1)</Line>"
            + "<Line sku=\"SKU-\(i % 89)\">1</Line></Order>\n"
    }
    let rate = try await runFormatPipeline("xml \(megabytes) MiB (\(count) records) -> ndjson", connector: "xml",
                                           options: ", records_path: Orders/Order", input: input, dir: dir)
    for parser in ["etree", "lxml"] {
        if let (line, peerRate) = peer("Benchmarks/xml_peer.py", [parser, input.path, dir.appendingPathComponent("peer.ndjson").path]) {
            print(line)
            print("ratio onramp/python \(parser): \(String(format: "%.2f", rate / peerRate))x")
        }
    }
}

func benchXLSX() async throws {
    let dir = try benchDirectory("xlsx")
    defer { try? FileManager.default.removeItem(at: dir) }
    let rows = Int(ProcessInfo.processInfo.environment["BENCH_XLSX_ROWS"] ?? "1000000") ?? 1_000_000
    let input = dir.appendingPathComponent("orders.xlsx")
    try writeWorkbook(rows: rows, to: input, scratch: dir)
    let size = ((try? FileManager.default.attributesOfItem(atPath: input.path)[.size]) as? NSNumber)?.intValue ?? 0
    let rate = try await runFormatPipeline("xlsx \(rows) rows (\(size >> 20) MiB zipped) -> ndjson", connector: "xlsx",
                                           options: "", input: input, dir: dir)
    if let (line, peerRate) = peer("Benchmarks/xlsx_peer.py", [input.path, dir.appendingPathComponent("peer.ndjson").path]) {
        print(line)
        print("ratio onramp/openpyxl: \(String(format: "%.2f", rate / peerRate))x")
    }
}

/// A workbook with one sheet of `rows` order rows (shared strings, numbers, a date column), zipped with deflate.
func writeWorkbook(rows: Int, to url: URL, scratch: URL) throws {
    let ns = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    let sheet = scratch.appendingPathComponent("sheet1.xml")
    let header = ["order_no", "sku", "qty", "unit_price", "ordered", "region"]
    _ = try writeChunks(to: sheet, head: "<worksheet \(ns)><dimension ref=\"A1:F\(rows + 1)\"/><sheetData><row r=\"1\">"
                        + header.enumerated().map { "<c t=\"inlineStr\"><is><t>\($1)</t></is></c>" }.joined() + "</row>",
                        tail: "</sheetData></worksheet>", until: { i, _ in i >= rows }) { i in
        let r = i + 2
        return "<row r=\"\(r)\"><c r=\"A\(r)\"><v>\(100000 + i)</v></c><c r=\"B\(r)\" t=\"s\"><v>\(i % 997)</v></c>"
            + "<c r=\"C\(r)\"><v>\(i % 7 + 1)</v></c><c r=\"D\(r)\"><v>\(i % 500).\(i % 100)</v></c>"
            + "<c r=\"E\(r)\" s=\"1\"><v>\(45000 + i % 1000)</v></c><c r=\"F\(r)\" t=\"s\"><v>\(997 + i % 3)</v></c></row>"
    }
    let strings = (0..<997).map { "SKU-\($0)" } + ["CA", "NY", "TX"]
    let parts: [(String, String)] = [
        ("_rels/.rels", "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + "<Relationship Id=\"rId1\" Type=\"\(rel)/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"),
        ("xl/workbook.xml", "<workbook \(ns) xmlns:r=\"\(rel)\"><sheets><sheet name=\"Orders\" sheetId=\"1\" r:id=\"rId1\"/>"
            + "</sheets></workbook>"),
        ("xl/_rels/workbook.xml.rels", "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + "<Relationship Id=\"rId1\" Type=\"\(rel)/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
            + "<Relationship Id=\"rId2\" Type=\"\(rel)/sharedStrings\" Target=\"sharedStrings.xml\"/>"
            + "<Relationship Id=\"rId3\" Type=\"\(rel)/styles\" Target=\"styles.xml\"/></Relationships>"),
        ("xl/sharedStrings.xml", "<sst \(ns)>" + strings.map { "<si><t>\($0)</t></si>" }.joined() + "</sst>"),
        ("xl/styles.xml", "<styleSheet \(ns)><cellXfs count=\"2\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/></cellXfs></styleSheet>"),
        ("[Content_Types].xml", "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
            + "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
            + "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
            + "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument."
            + "spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/"
            + "vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/><Override PartName=\"/xl/sharedStrings.xml\" "
            + "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>"
            + "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument."
            + "spreadsheetml.styles+xml\"/></Types>"),
    ]
    let archive = try Archive(url: url, accessMode: .create)
    for (name, text) in parts {
        let data = Data(text.utf8)
        try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { p, n in
            data.subdata(in: Int(p)..<Int(p) + n)
        }
    }
    try archive.addEntry(with: "xl/worksheets/sheet1.xml", fileURL: sheet, compressionMethod: .deflate)
    try FileManager.default.removeItem(at: sheet)
}
