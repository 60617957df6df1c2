import Foundation
import Hummingbird
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
import OnrampCore
import OnrampEngine
@testable import OnrampTaxmanSandbox
import Testing
import ZIPFoundation

/// Each starter template onboarded as a customer would: its blanks filled, against sample data in its shape, into the
/// sandbox; the transactions come out calculated, and a broken order is an error record, not a lost one.
@Suite struct StarterTemplateTests {
    static let header = "order_no;order_date;currency;customer_id;exemption_code;ship_city;ship_region;ship_postal_code;"
        + "ship_country;line_no;item_code;description;quantity;unit_price;discount;tax_code"

    static func run(_ template: StarterTemplate, _ values: [String: String], dir: URL, secrets: [String: String],
                    registry: ConnectorRegistry) async throws -> (RunSummary, [Value]) {
        try await EndToEndTests.withSandbox(.init()) { sandbox, url in
            var values = values
            values["taxman_url"] = url
            let document = try template.filled(values)
            let spec = try PipelineLoader.spec(from: document, file: template.name, secrets: secrets, registry: registry)
            let summary = await PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(files: .local(dir.path)),
                                               checkpoints: FileCheckpointStore(directory: dir.path + "/state"),
                                               outputDirectory: dir.path).run()
            return (summary, await sandbox.state.calculations().arrayValue ?? [])
        }
    }

    static func csvValues() -> [String: String] {
        ["files": "exports/*.csv", "delimiter": ";", "encoding": "utf-8", "date_format": "DD.MM.YYYY", "decimal_separator": ",",
         "id_prefix": "ACME-"]
    }

    @Test func headerAndLineRows() async throws {
        let dir = EndToEndTests.tempDir()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("exports"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        record_type;\(Self.header)
        H;1001;03.11.2026;usd;C1;;  New  York ;New York;10001;U.S.A.;;;;;;;
        L;1001;;;;;;;;;1;SKU-1;Widget;2;10,50;1,00;
        L;1001;;;;;;;;;2;SKU-2;Gadget;1;5,25;;
        H;1002;04.11.2026;CAD;C2;;Toronto;Ontario;M5V;CA;;;;;;;
        L;1002;;;;;;;;;1;SKU-3;Thing;3;2,00;;
        L;1003;;;;;;;;;1;SKU-4;Orphan;1;1,00;;

        """.write(to: dir.appendingPathComponent("exports/orders-1.csv"), atomically: true, encoding: .utf8)
        let (summary, calculations) = try await Self.run(StarterTemplates.headerLinesCSV, Self.csvValues(), dir: dir,
                                                         secrets: ["TAXMAN_API_KEY": "k"], registry: EndToEndTests.registry())
        #expect(summary.recordsWritten == 2 && summary.recordsFailed == 1, "\(summary.failureReason ?? "") \(summary.sampleErrors)")
        #expect(summary.sampleErrors.first?.code == "group.no_header")
        let first = try #require(calculations.first { $0["transaction_id"] == "ACME-1001" }?["calculation"])
        // (2 × 10.50 − 1.00) + 5.25 = 25.25 taxable in New York at 8.5 %: 1.70 + 0.45 (each line rounded).
        #expect(first["totalTaxable"] == 25.25 && first["totalTax"] == 2.15, "\(first)")
        #expect(calculations.contains { $0["transaction_id"] == "ACME-1002" })
    }

    @Test func oneRowPerLine() async throws {
        let dir = EndToEndTests.tempDir()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("exports"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        \(Self.header)
        2001;05.11.2026;EUR;C9;;Berlin;;10115;Deutschland;1;A;Alpha;1;100,00;;
        2001;05.11.2026;EUR;C9;;Berlin;;10115;Deutschland;2;B;Beta;2;10,00;;
        2002;31.02.2026;EUR;C9;;Berlin;;10115;DE;1;A;Alpha;1;100,00;;
        2003;05.11.2026;USD;C8;EXEMPT-1;Austin;Texas;73301;US;1;C;Gamma;1;50,00;;

        """.write(to: dir.appendingPathComponent("exports/lines.csv"), atomically: true, encoding: .utf8)
        let (summary, calculations) = try await Self.run(StarterTemplates.flatLinesCSV, Self.csvValues(), dir: dir,
                                                         secrets: ["TAXMAN_API_KEY": "k"], registry: EndToEndTests.registry())
        #expect(summary.recordsWritten == 2 && summary.recordsFailed == 1, "\(summary.failureReason ?? "") \(summary.sampleErrors)")
        #expect(summary.sampleErrors.first?.code == "cast.date" && summary.sampleErrors.first?.field == "order_date")
        let berlin = try #require(calculations.first { $0["transaction_id"] == "ACME-2001" }?["calculation"])
        #expect(berlin["totalAmount"] == 120 && berlin["lines"]?.arrayValue?.count == 2, "\(berlin)")
        let exempt = try #require(calculations.first { $0["transaction_id"] == "ACME-2003" }?["calculation"])
        #expect(exempt["totalExempt"] == 50 && exempt["totalTax"] == 0)
    }

    /// A workbook as Excel writes one: a title row, the header, typed cells (numbers, a date cell with a date style,
    /// inline strings); `rows` are the cells of each row after the title, `nil` an empty cell.
    static func workbook(_ rows: [[Any?]], at url: URL) throws {
        func cell(_ v: Any?, _ ref: String) -> String {
            switch v {
            case let date as DateCell: return "<c r=\"\(ref)\" s=\"1\"><v>\(date.serial)</v></c>"
            case let n as Double: return "<c r=\"\(ref)\"><v>\(n)</v></c>"
            case let n as Int: return "<c r=\"\(ref)\"><v>\(n)</v></c>"
            case let text as String: return "<c r=\"\(ref)\" t=\"inlineStr\"><is><t>\(text)</t></is></c>"
            default: return ""
            }
        }
        let columns = (65...90).map { String(UnicodeScalar(UInt8($0))) }
        let sheetRows = ([["Order list, November 2026"]] + rows).enumerated().map { i, row in
            "<row r=\"\(i + 1)\">" + row.enumerated().map { cell($1, "\(columns[$0])\(i + 1)") }.joined() + "</row>"
        }.joined()
        let ns = "http://schemas.openxmlformats.org"
        let parts: [(String, String)] = [
            ("_rels/.rels", "<Relationships xmlns=\"\(ns)/package/2006/relationships\"><Relationship Id=\"rId1\" "
             + "Type=\"\(ns)/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"),
            ("xl/workbook.xml", "<workbook xmlns=\"\(ns)/spreadsheetml/2006/main\" xmlns:r=\"\(ns)/officeDocument/2006/"
             + "relationships\"><sheets><sheet name=\"Orders\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"),
            ("xl/_rels/workbook.xml.rels", "<Relationships xmlns=\"\(ns)/package/2006/relationships\">"
             + "<Relationship Id=\"rId1\" Type=\"\(ns)/officeDocument/2006/relationships/worksheet\" "
             + "Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" "
             + "Type=\"\(ns)/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>"),
            ("xl/styles.xml", "<styleSheet xmlns=\"\(ns)/spreadsheetml/2006/main\"><cellXfs count=\"2\">"
             + "<xf numFmtId=\"0\"/><xf numFmtId=\"14\" applyNumberFormat=\"1\"/></cellXfs></styleSheet>"),
            ("xl/worksheets/sheet1.xml", "<worksheet xmlns=\"\(ns)/spreadsheetml/2006/main\"><sheetData>\(sheetRows)"
             + "</sheetData></worksheet>"),
        ]
        let archive = try Archive(url: url, accessMode: .create)
        for (name, text) in parts {
            let data = Data(text.utf8)
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { pos, size in
                data.subdata(in: Int(pos)..<Int(pos) + size)
            }
        }
    }

    struct DateCell { let serial: Int }

    @Test func anXLSXOrderList() async throws {
        let dir = EndToEndTests.tempDir()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("exports"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let header: [Any?] = Self.header.split(separator: ";").map(String.init)
        try Self.workbook([
            header,
            [3001, DateCell(serial: 46331), "usd", "C1", nil, " New York ", "New York", 10001, "U.S.A.", 1, "SKU-1", "Widget",
             2, 10.5, 1, nil],
            [3001, DateCell(serial: 46331), "usd", "C1", nil, "New York", "New York", 10001, "U.S.A.", 2, "SKU-2", "Gadget",
             1, 5.25, nil, nil],
            [3002, "06.11.2026", "EUR", "C9", nil, "Berlin", nil, "10115", "Deutschland", 1, "A", "Alpha", 1, "100,00", nil, nil],
            [3003, "31.02.2026", "EUR", "C9", nil, "Berlin", nil, "10115", "DE", 1, "A", "Alpha", 1, 100, nil, nil],
        ], at: dir.appendingPathComponent("exports/orders-1.xlsx"))
        let values = ["files": "exports/*.xlsx", "sheet": "Orders", "header_row": "2", "date_format": "DD.MM.YYYY",
                      "decimal_separator": ",", "id_prefix": "XL-"]
        let (summary, calculations) = try await Self.run(StarterTemplates.xlsxOrderList, values, dir: dir,
                                                         secrets: ["TAXMAN_API_KEY": "k"], registry: EndToEndTests.registry())
        #expect(summary.recordsRead == 4 && summary.recordsWritten == 2 && summary.recordsFailed == 1,
                "\(summary.failureReason ?? "") \(summary.sampleErrors)")
        #expect(summary.sampleErrors.first?.message.contains("31.02.2026") == true, "\(summary.sampleErrors)")
        let first = try #require(calculations.first { $0["transaction_id"] == "XL-3001" }?["calculation"])
        // A date cell, number cells: (2 × 10.50 − 1.00) + 5.25 = 25.25 taxable in New York, 1.70 + 0.45 tax.
        #expect(first["totalTaxable"] == 25.25 && first["totalTax"] == 2.15 && first["currency"] == "USD", "\(first)")
        let berlin = try #require(calculations.first { $0["transaction_id"] == "XL-3002" }?["calculation"])
        // A text date in date_format and a text number with a decimal comma.
        #expect(berlin["totalAmount"] == 100 && berlin["currency"] == "EUR", "\(berlin)")
    }

    @Test func aPagedRESTAPI() async throws {
        let dir = EndToEndTests.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func order(_ id: Int, state: String) -> Value {
            ["id": .number(Double(id)), "date": "2026-11-06T10:00:00Z", "currency": "usd", "customer": ["id": 7],
             "shipping_address": ["city": "Seattle", "state": .string(state), "zip": "98101", "country": "us"],
             "line_items": [["sku": "S1", "name": "One", "quantity": 2, "price": "9.99"],
                            ["sku": "S2", "name": "Two", "quantity": 1, "price": "5", "discount": "1"]]]
        }
        let pages: [Value] = [["orders": [order(1, state: "Washington"), order(2, state: "Nowhere")]],
                              ["orders": [order(3, state: "WA")]], ["orders": []]]
        let router = Router()
        router.get("/api/orders") { request, _ -> Response in
            guard request.headers[.authorization] == "Bearer erp-token" else { return Response(status: .unauthorized) }
            let page = Int(request.uri.queryParameters.get("page") ?? "1") ?? 1
            let body = JSONWriter.string(pages[min(max(page, 1), 3) - 1])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let (ports, cont) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { cont.yield($0.localAddress?.port ?? 0) })
        let (summary, calculations) = try await withRunningService(app) {
            var it = ports.makeAsyncIterator()
            let port = await it.next()!
            return try await Self.run(StarterTemplates.restAPIOrders,
                                      ["orders_url": "http://127.0.0.1:\(port)/api/orders", "records_path": "orders", "id_prefix": "WEB-"],
                                      dir: dir, secrets: ["TAXMAN_API_KEY": "k", "ERP_TOKEN": "erp-token"],
                                      registry: EndToEndTests.registry())
        }
        #expect(summary.recordsRead == 3 && summary.recordsWritten == 2, "\(summary.failureReason ?? "") \(summary.sampleErrors)")
        #expect(summary.sampleErrors.first?.code == "expr.clean.region", "an unknown state is caught in the mapping, with its name")
        let one = try #require(calculations.first { $0["transaction_id"] == "WEB-1" }?["calculation"])
        // 2 × 9.99 + (5 − 1) = 23.98 taxable in Washington at 10.25 %: 2.05 + 0.41.
        #expect(one["totalTaxable"] == 23.98 && one["totalTax"] == 2.46, "\(one)")
    }

    @Test func blanksAreAllNeededAndNoOthers() throws {
        for template in StarterTemplates.all {
            #expect(Set(Placeholders.references(in: try template.document()).filter { $0.kind == "param" }.map(\.name))
                    == Set(template.parameters.map(\.name)), "\(template.name)")
        }
        #expect(throws: OnrampError.self) { try StarterTemplates.flatLinesCSV.filled(["files": "x"]) }
        #expect(throws: OnrampError.self) { try StarterTemplates.flatLinesCSV.filled(Self.csvValues().merging(["nope": "1"]) { a, _ in a }) }
    }
}

/// A number written as text where a connector or step takes only a number: what a template parameter fills in.
@Suite struct NumberTextTests {
    @Test func digitsAsTextAreTheNumberAndOtherTextStaysATypeError() throws {
        let port: Value = ["type": "integer", "minimum": 1, "maximum": 65535]
        #expect(try JSONSchema.validate("5432", against: port, at: "port") == 5432)
        #expect(try JSONSchema.validate("-3", against: ["type": "integer"], at: "n") == -3)
        #expect(try JSONSchema.validate("0.25", against: ["type": "number"], at: "n") == 0.25)
        #expect(try JSONSchema.validate("42", against: ["type": ["integer", "string"]], at: "n") == "42", "text where text fits")
        for bad in ["54x2", "", "-", "1e3", "0x10", " 12", "1234567890123456", "70000"] {
            #expect(throws: OnrampError.self, "\(bad)") { try JSONSchema.validate(.string(bad), against: port, at: "port") }
        }
        #expect(throws: OnrampError.self) { try JSONSchema.validate("1.5", against: ["type": "integer"], at: "n") }
    }
}
