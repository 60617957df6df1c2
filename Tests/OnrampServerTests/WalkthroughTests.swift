import Foundation
import OnrampCore
import Testing

/// docs/api.md's walkthrough, extracted from the document and run with bash against real
/// `onramp serve` and `onramp taxman-sandbox` processes, so the document cannot drift from the API.
@Suite(.serialized) struct WalkthroughTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/api.md")

    /// The first bash block after the walkthrough's heading.
    static func walkthrough() throws -> String {
        let text = try String(contentsOf: docs, encoding: .utf8)
        guard let heading = text.range(of: "## A customer's day with curl"),
              let open = text.range(of: "```bash\n", range: heading.upperBound..<text.endIndex),
              let close = text.range(of: "\n```", range: open.upperBound..<text.endIndex) else {
            throw OnrampError("test.docs", "no bash block under the walkthrough heading in \(docs.path)")
        }
        return String(text[open.upperBound..<close.lowerBound])
    }

    @Test func theAPIWalkthroughRunsAsWrittenAndLeavesOnlyOwnerOnlyFiles() async throws {
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build): \(ProcessTests.binary)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-walkthrough-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("walkthrough.sh")
        try Self.walkthrough().write(to: script, atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("data")
        let bin = (ProcessTests.binary as NSString).deletingLastPathComponent
        let env = ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"), "DATA": data.path,
                   "PORT": String(try CommandRunner.freePort()), "SANDBOX_PORT": String(try CommandRunner.freePort())]
        let r = try await CommandRunner.run("/bin/bash", ["-euo", "pipefail", script.path], directory: dir, env: env)
        let serveLog = (try? String(contentsOf: dir.appendingPathComponent("serve.log"), encoding: .utf8)) ?? ""
        #expect(r.status == 0, "the walkthrough failed:\n\(r.stdout)\n\(r.stderr)\nserve.log:\n\(serveLog.suffix(2000))")
        #expect(r.stdout.contains(#""state": "succeeded_with_errors""#), "\(r.stdout)")
        #expect(r.stdout.contains(#""records_written": 2"#) && r.stdout.contains(#""records_failed": 2"#), "\(r.stdout)")
        #expect(r.stdout.contains("expr.D3030") && r.stdout.contains("taxman.InvalidAddress"), "\(r.stdout)")
        #expect(r.stdout.contains(#""enabled":false"#), "\(r.stdout)")
        let results = (try? String(contentsOf: dir.appendingPathComponent("results.ndjson"), encoding: .utf8)) ?? ""
        #expect(results.split(separator: "\n").count == 2 && results.contains("A4"), "\(results)")
        let errors = (try? String(contentsOf: dir.appendingPathComponent("errors.csv"), encoding: .utf8)) ?? ""
        #expect(errors.contains("A3") && errors.contains("A2"), "\(errors)")

        // Everything serve created in its data directory is owner-only (the tenant's export was
        // written by the walkthrough's shell, not by Onramp).
        var checked: [String] = []
        let root = data.standardizedFileURL.path
        let files = try #require(FileManager.default.enumerator(atPath: root))
        for case let path as String in files where !path.hasPrefix("tenants") {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: "\(root)/\(path)")[.posixPermissions] as? Int)
            #expect(mode & 0o077 == 0, "\(path) has mode \(String(mode, radix: 8))")
            checked.append(path)
        }
        let rootMode = try FileManager.default.attributesOfItem(atPath: root)[.posixPermissions] as? Int
        #expect(rootMode.map { $0 & 0o077 == 0 } == true, "the data directory has mode \(String(rootMode ?? 0, radix: 8))")
        #expect(checked.contains("onramp.sqlite") && checked.contains("keys/current") && checked.contains { $0.hasPrefix("runs/") }, "\(checked)")
    }
}
