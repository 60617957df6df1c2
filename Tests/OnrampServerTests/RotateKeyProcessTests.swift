import Foundation
import OnrampCore
import Testing

/// `onramp rotate-key` against a real data directory: refused while `onramp serve` holds it, done
/// once the server has stopped.
@Suite struct RotateKeyProcessTests {
    @Test func rotateKeyIsRefusedWhileAServerUsesTheDataDirectory() async throws {
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build): \(ProcessTests.binary)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-rotate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data").path
        let server = try ProcessTests.Child(["serve", "--data", data, "--port", "0"],
                                            env: ["ONRAMP_ADMIN_KEY": ProcessTests.adminKey],
                                            log: dir.appendingPathComponent("serve.log"))
        defer { server.stop() }
        _ = try await server.port()
        let current = try String(contentsOfFile: "\(data)/keys/current", encoding: .utf8)

        let refused = try await CommandRunner.run(ProcessTests.binary, ["rotate-key", "--data", data], directory: dir)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("is using \(data); stop it first"), "\(refused.stderr)")
        #expect(try String(contentsOfFile: "\(data)/keys/current", encoding: .utf8) == current)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(data)/keys").count == 2, "no key was added")

        server.stop()
        let done = try await CommandRunner.run(ProcessTests.binary, ["rotate-key", "--data", data], directory: dir)
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains("2 key(s) kept"), "\(done.stdout)")
        let moved = try String(contentsOfFile: "\(data)/keys/current", encoding: .utf8)
        #expect(moved != current)
        #expect(FileManager.default.fileExists(atPath: "\(data)/keys/\(current.trimmingCharacters(in: .newlines)).key"))
    }
}
