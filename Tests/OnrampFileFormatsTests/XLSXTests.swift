import Foundation
import OnrampCore
@testable import OnrampFileFormats
import Testing
import ZIPFoundation

@Suite struct XLSXTests {
    /// A workbook with one sheet whose `<sheetData>` is `rows`, zipped with ZIPFoundation (deflate).
    static func workbook(_ rows: String, strings: [String] = [], extra: [(String, Data)] = []) throws -> String {
        let path = try FormatHarness.directory().appendingPathComponent("hand.xlsx").path
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        let sst = strings.map { "<si><t>\($0)</t></si>" }.joined()
        let parts: [(String, String)] = [
            ("_rels/.rels", """
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" \
            Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
            </Relationships>
            """),
            ("xl/workbook.xml", """
            <x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
            xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><x:sheets>\
            <x:sheet name="Data" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>
            """),
            ("xl/_rels/workbook.xml.rels", """
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
            Target="/xl/worksheets/sheet1.xml"/>\
            <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" \
            Target="sharedStrings.xml"/></Relationships>
            """),
            ("xl/sharedStrings.xml", "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\(sst)</sst>"),
            ("xl/worksheets/sheet1.xml", """
            <x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>\(rows)\
            </x:sheetData></x:worksheet>
            """),
        ]
        for (name, data) in parts.map({ ($0.0, Data($0.1.utf8)) }) + extra {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { pos, size in
                data.subdata(in: Int(pos)..<Int(pos) + size)
            }
        }
        return path
    }

    @Test func cellsAreTypedAsAnOpenpyxlWorkbookWritesThem() async throws {
        let out = try await FormatHarness.read("xlsx", ["sheet": "Orders", "cell_errors": "null"],
                                               paths: [FormatHarness.fixture("orders.xlsx")])
        #expect(out.errors.isEmpty)
        #expect(out.values == [
            ["id": 1, "Customer": "Acme", "Customer_2": "Berlin", "amount": 12.5, "paid": true, "ordered": "2024-02-29",
             "at": "2024-03-01T13:45:30", "time": "08:30:00", "builtin": "1900-01-01", "status": "ok", "note": "Acme"],
            ["id": 2, "Customer": "Initech", "Customer_2": "Paris", "amount": 0.1, "paid": false, "ordered": "1900-02-28",
             "at": "2024-12-31T23:59:59", "time": "17:05:09", "builtin": "1900-03-01", "status": nil, "note": "Grüße & <ok>"],
            ["id": 3, "Customer": "Acme", "Customer_2": nil, "amount": 1234567.89, "paid": nil, "ordered": nil,
             "at": nil, "time": nil, "builtin": nil, "status": nil, "note": "Acme"],
        ])
        #expect(out.records.map(\.position.line) == [2, 3, 5])
        // By default the row holding #N/A is an error record, its value the row with the cell null.
        let strict = try await FormatHarness.read("xlsx", ["sheet": "Orders"], paths: [FormatHarness.fixture("orders.xlsx")])
        #expect(strict.records.map(\.position.line) == [2, 5])
        #expect(strict.errors.map(\.code) == ["xlsx.cell_error"])
        let e = try #require(strict.errors.first)
        #expect(e.message == "cell J3: the cell holds the error #N/A" && e.position.line == 3)
        #expect(e.value == out.values[1])
    }

    @Test func sharedStringsAndCachedFormulaValuesAsXlsxwriterWritesThem() async throws {
        let out = try await FormatHarness.read("xlsx", paths: [FormatHarness.fixture("shared.xlsx")])
        #expect(out.values == [["sku": "A-1", "qty": 1, "price": 0.5, "total": 0.5, "day": nil, "check": true]])
        #expect(out.errors.map(\.code) == ["xlsx.cell_error"] && out.errors.first?.message.contains("F2") == true)
        #expect(out.errors.first?.value == ["sku": "A-1", "qty": 2, "price": 9.99, "total": 19.98, "day": "2024-07-14",
                                            "check": nil])
    }

    @Test func theFirstSheetIsTheDefaultAndAMissingSheetIsAnError() async throws {
        let first = try await FormatHarness.read("xlsx", paths: [FormatHarness.fixture("orders.xlsx")])
        #expect(first.values == [["metric": "orders", "value": 3]])
        let none = try await FormatHarness.read("xlsx", ["sheet": "Nope"], paths: [FormatHarness.fixture("orders.xlsx")])
        #expect(none.records.isEmpty && none.errors.map(\.code) == ["xlsx.sheet"])
        #expect(none.errors.first?.message.contains("'Orders'") == true)
    }

    @Test func aHeaderBelowAMergedTitle() async throws {
        let out = try await FormatHarness.read("xlsx", ["sheet": "Titled", "header_row": 2], paths: [FormatHarness.fixture("orders.xlsx")])
        #expect(out.values == [["region": "EU", "q1": 10, "q2": 20]])
        let noHeader = try await FormatHarness.read("xlsx", ["sheet": "Titled", "header_row": 0],
                                                    paths: [FormatHarness.fixture("orders.xlsx")])
        #expect(noHeader.values.last == ["A": "EU", "B": 10, "C": 20])
        #expect(noHeader.values.first == ["A": "Quarterly report", "B": nil, "C": nil])
    }

    @Test func the1904DateSystem() async throws {
        let out = try await FormatHarness.read("xlsx", paths: [FormatHarness.fixture("dates1904.xlsx")])
        #expect(out.values == [["day": "2024-02-29", "moment": "1904-01-02T06:00:00"]])
    }

    @Test func inlineStringsFormulasErrorsAndBadCells() async throws {
        let rows = """
        <x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>b</x:t></x:is></x:c>\
        <x:c r="D1" t="s"><x:v>1</x:v></x:c></x:row>\
        <x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:r><x:t>ri</x:t></x:r><x:r><x:t>ch</x:t></x:r></x:is></x:c>\
        <x:c r="B2"><x:f>1+2</x:f><x:v>3</x:v></x:c><x:c r="C2" t="str"><x:f>"x"&amp;"y"</x:f><x:v>xy</x:v></x:c>\
        <x:c r="D2" t="b"><x:v>1</x:v></x:c><x:c r="E2" t="e"><x:f>1/0</x:f><x:v>#DIV/0!</x:v></x:c></x:row>\
        <x:row r="3"><x:c r="A3" t="s"><x:v>9</x:v></x:c><x:c r="B3"><x:v>1.5e3</x:v></x:c><x:c r="C3"><x:v>abc</x:v></x:c></x:row>
        """
        let path = try Self.workbook(rows, strings: ["a", "d"])
        let out = try await FormatHarness.read("xlsx", paths: [path])
        #expect(out.records.isEmpty)
        #expect(out.errors.map(\.code) == ["xlsx.cell_error", "xlsx.shared_string"])
        #expect(out.errors.map(\.value) == [["a": "rich", "b": 3, "C": "xy", "d": true, "E": nil],
                                            ["a": nil, "b": 1500, "C": nil, "d": nil]])
        #expect(out.errors.first?.message == "cell E2: the cell holds the error #DIV/0!")
        #expect(out.errors.last?.message == "cell A3: shared string '9' does not exist; cell C3: 'abc' is not a number")
        // With `cell_errors: null` an error value is null; a cell that cannot be read still fails its row.
        let lenient = try await FormatHarness.read("xlsx", ["cell_errors": "null"], paths: [path])
        #expect(lenient.values == [["a": "rich", "b": 3, "C": "xy", "d": true, "E": nil]])
        #expect(lenient.errors.map(\.code) == ["xlsx.shared_string"])
    }

    @Test func aZipBombEntryIsCappedAndANonZipRefused() async throws {
        let path = try Self.workbook("<x:row r=\"1\"><x:c r=\"A1\"><x:v>1</x:v></x:c></x:row>",
                                     strings: [String(repeating: "a", count: 3 << 20)])
        var format = try FileFormat.make("xlsx", options: [:], at: "source.config")
        format.input.maxUncompressedBytes = 1000
        let capped = try await FormatHarness.read(format, paths: [path])
        #expect(capped.records.isEmpty && capped.errors.map(\.code) == ["file.too_large"], "\(capped.errors)")
        let bigSheet = try Self.workbook(String(repeating: "<x:row><x:c><x:v>1</x:v></x:c></x:row>", count: 20_000))
        format.input.maxUncompressedBytes = 100_000
        let sheet = try await FormatHarness.read(format, paths: [bigSheet], batchSize: 1000)
        #expect(sheet.errors.last?.code == "file.too_large" && sheet.records.count < 20_000)
        let notZip = try FormatHarness.write("id,amount\n1,2\n", name: "fake.xlsx")
        #expect(try await FormatHarness.read("xlsx", paths: [notZip]).errors.map(\.code) == ["xlsx.not_zip"])
    }

    @Test func serialNumbersBecomeISODates() {
        #expect(XLSXNumberFormat.date.iso8601(1, date1904: false) == "1900-01-01")
        #expect(XLSXNumberFormat.date.iso8601(59, date1904: false) == "1900-02-28")
        #expect(XLSXNumberFormat.date.iso8601(60, date1904: false) == nil)
        #expect(XLSXNumberFormat.date.iso8601(61, date1904: false) == "1900-03-01")
        #expect(XLSXNumberFormat.date.iso8601(45351, date1904: false) == "2024-02-29")
        #expect(XLSXNumberFormat.date.iso8601(0, date1904: true) == "1904-01-01")
        #expect(XLSXNumberFormat.dateTime.iso8601(45351.5, date1904: false) == "2024-02-29T12:00:00")
        #expect(XLSXNumberFormat.time.iso8601(0.5000001, date1904: false) == "12:00:00.009")
        #expect(XLSXNumberFormat.time.iso8601(1.25, date1904: false) == "30:00:00")
        #expect(XLSXNumberFormat(id: 14, code: nil) == .date && XLSXNumberFormat(id: 22, code: nil) == .dateTime)
        #expect(XLSXNumberFormat(id: 46, code: nil) == .time && XLSXNumberFormat(id: 2, code: nil) == .number)
        #expect(XLSXNumberFormat.classify("dd/mm/yyyy") == .date && XLSXNumberFormat.classify("[h]:mm") == .time)
        #expect(XLSXNumberFormat.classify("#,##0.00 \"days\"") == .number && XLSXNumberFormat.classify("[Red]0.00") == .number)
        #expect(XLSXNumberFormat.classify("yyyy-mm-dd hh:mm;@") == .dateTime && XLSXNumberFormat.classify("General") == .number)
    }
}
