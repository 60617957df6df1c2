import Foundation
import OnrampCore

/// One test file's run: its cases' results, or the error that kept it from running (an invalid file).
public struct PipelineTestSuite: Sendable {
    /// The test file as it was named.
    public var file: String
    public var results: [PipelineTestResult]
    public var error: OnrampError?

    public init(file: String, results: [PipelineTestResult] = [], error: OnrampError? = nil) {
        self.file = file
        self.results = results
        self.error = error
    }

    public var failed: Int { results.filter { !$0.passed }.count }

    /// Test file text: at most this many bytes (then its YAML node and nesting limits apply, as for pipelines).
    public static let maxBytes = 4 << 20

    /// Parses a test file's text; errors name the file and the path in it.
    public static func parse(_ text: String, file: String) throws -> PipelineTestDocument {
        guard text.utf8.count <= maxBytes else {
            throw OnrampError("test.too_large", "a test file is at most \(maxBytes >> 20) MiB", at: file)
        }
        let document = try PipelineLoader.document(text, file: file)
        do { return try PipelineTestDocument(from: document) } catch {
            throw OnrampError(error.code, error.message, at: "\(file): \(error.location ?? "")")
        }
    }

    /// The test file that goes with a pipeline file: `orders.yaml` → `orders.tests.yaml`.
    public static func testFile(forPipeline path: String) -> String {
        let ns = path as NSString
        return ns.deletingPathExtension + ".tests." + (ns.pathExtension.isEmpty ? "yaml" : ns.pathExtension)
    }

    /// JUnit XML for CI systems: one `testsuite` per test file, one `testcase` per case, a `failure` holding a failing
    /// case's reasons, an `error` for a file that could not run.
    public static func junit(_ suites: [PipelineTestSuite]) -> String {
        let tests = suites.reduce(0) { $0 + max($1.results.count, $1.error == nil ? 0 : 1) }
        let failures = suites.reduce(0) { $0 + $1.failed }
        let errors = suites.filter { $0.error != nil }.count
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"onramp test\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\">\n"
        for s in suites {
            let time = s.results.reduce(0) { $0 + $1.seconds }
            out += "  <testsuite name=\"\(xml(s.file))\" tests=\"\(max(s.results.count, s.error == nil ? 0 : 1))\" "
                + "failures=\"\(s.failed)\" errors=\"\(s.error == nil ? 0 : 1)\" time=\"\(String(format: "%.3f", time))\">\n"
            if let e = s.error {
                out += "    <testcase name=\"(test file)\" classname=\"\(xml(s.file))\">\n"
                out += "      <error message=\"\(xml(e.code))\">\(xml(e.description))</error>\n    </testcase>\n"
            }
            for r in s.results {
                out += "    <testcase name=\"\(xml(r.name))\" classname=\"\(xml(s.file))\" "
                    + "time=\"\(String(format: "%.3f", r.seconds))\""
                if r.passed { out += "/>\n"; continue }
                let headline = r.failures.first?.split(separator: "\n").first.map(String.init) ?? ""
                out += ">\n      <failure message=\"\(xml(headline))\">"
                out += xml(r.failures.joined(separator: "\n\n")) + "</failure>\n    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    /// Text as XML character data or an attribute value: markup escaped, characters XML 1.0 cannot hold replaced.
    static func xml(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for u in text.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n": out.unicodeScalars.append(u)
            case "\r": out += "&#13;"
            default:
                let v = u.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF { out += "\u{FFFD}" } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }
}
