import Foundation
import OnrampCore
@testable import OnrampFileFormats
import Testing

@Suite struct XMLReaderTests {
    static let orders = """
    <?xml version="1.0" encoding="UTF-8"?>
    <Orders xmlns:x="urn:x" exported="2024-03-01">
      <Order id="1" x:flag="y">
        <Customer>Acme &amp; Sons</Customer>
        <Note/>
        <Total currency="EUR">12.50</Total>
        <Line sku="A">1</Line>
        <Line sku="B">2</Line>
        <Memo>Paid <b>late</b> twice</Memo>
      </Order>
      <Order id="2">
        <Customer>  Initech  </Customer>
        <Line sku="C">3</Line>
      </Order>
    </Orders>
    """

    @Test func elementsMapToFieldsByTheDocumentedRule() async throws {
        let out = try await FormatHarness.read("xml", ["records_path": "Orders/Order"], paths: [FormatHarness.write(Self.orders)])
        #expect(out.errors.isEmpty, "\(out.errors)")
        #expect(out.values == [
            ["@id": "1", "@x:flag": "y", "Customer": "Acme & Sons", "Note": nil,
             "Total": ["@currency": "EUR", "#text": "12.50"],
             "Line": [["@sku": "A", "#text": "1"], ["@sku": "B", "#text": "2"]],
             "Memo": ["b": "late", "#text": "Paid  twice"]],
            ["@id": "2", "Customer": "  Initech  ", "Line": ["@sku": "C", "#text": "3"]],
        ])
        #expect(out.records.map(\.position.line) == [3, 11])
        #expect(out.records.first?.position.file == "in.xml")
    }

    @Test func arraysForceElementsThatOccurOnceIntoArrays() async throws {
        let out = try await FormatHarness.read("xml", ["records_path": "*/Order", "arrays": ["Line", "Customer/Tag"]],
                                               paths: [FormatHarness.write("<R><Order><Line>1</Line><Customer><Tag>a</Tag></Customer></Order></R>")])
        #expect(out.values == [["Line": ["1"], "Customer": ["Tag": ["a"]]]])
    }

    @Test func theDefaultPathIsTheRootsChildrenAndPrefixesAreMatchedAsWritten() async throws {
        let doc = "<ns:Export xmlns:ns=\"urn:e\"><ns:Invoice><ns:No>7</ns:No></ns:Invoice><Other>x</Other></ns:Export>"
        let all = try await FormatHarness.read("xml", paths: [FormatHarness.write(doc)])
        #expect(all.values == [["ns:No": "7"], ["#text": "x"]])
        let invoices = try await FormatHarness.read("xml", ["records_path": "ns:Export/ns:Invoice"], paths: [FormatHarness.write(doc)])
        #expect(invoices.values == [["ns:No": "7"]])
    }

    @Test func malformedXMLKeepsTheRecordsBeforeItAndNamesFileLineAndColumn() async throws {
        let doc = "<R>\n<O>1</O>\n<O>2</O>\n<O>3</P>\n<O>4</O>\n</R>"
        let out = try await FormatHarness.read("xml", paths: [FormatHarness.write(doc, name: "bad.xml")])
        #expect(out.values == [["#text": "1"], ["#text": "2"]])
        #expect(out.errors.count == 1)
        let e = try #require(out.errors.first)
        #expect(e.code == "xml.mismatched" && e.position.file == "bad.xml" && e.position.line == 4)
        #expect(e.message.contains("line 4, column 5") && e.message.contains("rest of the file"), "\(e.message)")
    }

    @Test func aBadRecordIsSkippedAndTheRestRead() async throws {
        let doc = "<R><O><a>1</a></O><O><a>&nope;</a><b>x</b></O><O a=\"1\" a=\"2\"><c/></O><O><a>4</a></O></R>"
        let out = try await FormatHarness.read("xml", paths: [FormatHarness.write(doc)], batchSize: 1)
        #expect(out.values == [["a": "1"], ["a": "4"]])
        #expect(out.errors.map(\.code) == ["xml.entity", "xml.attribute"])
        #expect(out.errors.allSatisfy { $0.message.contains("skipped") })
    }

    @Test func entityDeclarationsAreRefused() async throws {
        let doc = "<!DOCTYPE R [<!ENTITY big \"aaaa\">]><R><O>&big;</O></R>"
        let out = try await FormatHarness.read("xml", paths: [FormatHarness.write(doc)])
        #expect(out.records.isEmpty && out.errors.map(\.code) == ["xml.entity_declaration"])
    }

    @Test func recordSizeAndNestingAreCapped() async throws {
        var options = XMLOptions()
        options.maxRecordBytes = 300
        let big = "<R><O>1</O><O>" + String(repeating: "<x>yyyyyyyy</x>", count: 40) + "</O><O>3</O></R>"
        let out = try await FormatHarness.read(FileFormat(.xml(options)), paths: [FormatHarness.write(big)])
        #expect(out.values == [["#text": "1"], ["#text": "3"]])
        #expect(out.errors.map(\.code) == ["xml.record_too_large"])
        options = XMLOptions()
        options.maxDepth = 4
        let deep = "<R><O>1</O><O><a><b><c>x</c></b></a></O></R>"
        let d = try await FormatHarness.read(FileFormat(.xml(options)), paths: [FormatHarness.write(deep)])
        #expect(d.values == [["#text": "1"]] && d.errors.map(\.code) == ["xml.too_deep"])
    }

    @Test func latin1AndWindows1252FilesAreDecodedFromTheDeclaration() async throws {
        let dir = try FormatHarness.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("l.xml").path
        var bytes = Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><R><O>Gr".utf8) + [0xFC, 0xDF] + Array("e</O></R>".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try await FormatHarness.read("xml", paths: [path]).values == [["#text": "Grüße"]])
        bytes = Array("<?xml version='1.0' encoding='windows-1252'?><R><O>".utf8) + [0x80] + Array("5</O></R>".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try await FormatHarness.read("xml", paths: [path]).values == [["#text": "€5"]])
        try Data("<?xml version='1.0' encoding='EBCDIC'?><R/>".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try await FormatHarness.read("xml", paths: [path]).errors.map(\.code) == ["xml.encoding"])
    }

    @Test func aBadRecordsPathIsAConfigError() throws {
        #expect(throws: OnrampError.self) { try FileFormat.make("xml", options: ["records_path": "a//b"], at: "source.config") }
    }
}
