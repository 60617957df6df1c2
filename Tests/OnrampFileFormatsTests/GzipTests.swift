import Foundation
import OnrampCore
@testable import OnrampFileFormats
import Testing

@Suite struct GzipTests {
    @Test(arguments: [("csv", "orders.csv.gz"), ("ndjson", "orders.ndjson.gz"), ("json", "orders.json.gz"),
                      ("xml", "orders.xml.gz"), ("xlsx", "orders.xlsx.gz")])
    func everyFormatReadsGzipFilesBySuffix(_ format: String, _ file: String) async throws {
        let out = try await FormatHarness.read(format, format == "xlsx" ? ["sheet": "Orders"] : [:], paths: [FormatHarness.fixture(file)])
        #expect(out.errors.filter { $0.code != "xlsx.cell_error" }.isEmpty, "\(out.errors)")
        switch format {
        case "csv": #expect(out.values == [["id": "1", "amount": "12.50"], ["id": "2", "amount": "0.10"]])
        case "xml": #expect(out.values == [["@id": "1"], ["@id": "2"]])
        case "xlsx": #expect(out.records.count == 2 && out.values.first?["note"] == "Acme")
        default: #expect(out.values == [["id": 1], ["id": 2]])
        }
    }

    @Test func compressionIsChosenByOptionOrSuffix() async throws {
        let dir = try FormatHarness.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A gzip file without the suffix, read with `compression: gzip`; with `none`, a .gz file is read as stored.
        let plain = dir.appendingPathComponent("orders.dat").path
        try FileManager.default.copyItem(atPath: FormatHarness.fixture("orders.ndjson.gz"), toPath: plain)
        #expect(try await FormatHarness.read("ndjson", ["compression": "gzip"], paths: [plain]).values == [["id": 1], ["id": 2]])
        let stored = try await FormatHarness.read("ndjson", ["compression": "none"], paths: [FormatHarness.fixture("orders.ndjson.gz")])
        #expect(stored.records.isEmpty && !stored.errors.isEmpty)
    }

    @Test func multiMemberTruncatedAndCorruptFiles() async throws {
        let two = try await FormatHarness.read("csv", paths: [FormatHarness.fixture("two-members.csv.gz")])
        #expect(two.values == [["id": "1"], ["id": "2"], ["id": "3"]] && two.errors.isEmpty)
        let truncated = try await FormatHarness.read("csv", paths: [FormatHarness.fixture("truncated.csv.gz")], batchSize: 10_000)
        #expect(truncated.errors.map(\.code) == ["gzip.truncated"])
        let notGzip = try FormatHarness.write("id\n1\n", name: "fake.csv.gz")
        #expect(try await FormatHarness.read("csv", paths: [notGzip]).errors.map(\.code) == ["gzip.corrupt"])
    }

    @Test func aGzipBombStopsAtTheDecompressedSizeLimit() async throws {
        var format = try FileFormat.make("csv", options: ["max_uncompressed_mb": 1], at: "source.config")
        let out = try await FormatHarness.read(format, paths: [FormatHarness.fixture("bomb.csv.gz")])
        #expect(out.errors.map(\.code) == ["file.too_large"])
        #expect(out.errors.first?.message.contains("max_uncompressed_mb") == true)
        format.input.maxUncompressedBytes = 8 << 20
        let whole = try await FormatHarness.read(format, paths: [FormatHarness.fixture("bomb.csv.gz")], batchSize: 100_000)
        #expect(whole.errors.isEmpty && whole.records.count == 1200)
    }
}
