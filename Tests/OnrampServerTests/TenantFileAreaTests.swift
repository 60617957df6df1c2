import Foundation
import OnrampConnectorKit
import OnrampCore
import Testing

/// The path checks of a tenant's file area: names refused without touching the disk, and links
/// found on the disk.
@Suite struct TenantFileAreaTests {
    static func area() throws -> (TenantFileArea, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-area-\(UUID().uuidString)")
        let area = TenantFileArea(dataDirectory: dir.path, tenant: "acme")
        try FileManager.default.createDirectory(atPath: area.root, withIntermediateDirectories: true)
        return (area, dir)
    }

    @Test(arguments: [
        "", "/etc/passwd", "../x", "a/../../x", "..", ".", "a/./b", "a//b", "a/", ".hidden", "a/.upload-1",
        "a\u{0}b", "a\nb", "tab\there", "a\\..\\b", "\u{FF0E}\u{FF0E}/x", "\u{2025}", "x/\u{FE52}\u{FE52}/y", "a\u{FF0F}..",
        String(repeating: "n", count: 256), String(repeating: "a/", count: 40) + "x", String(repeating: "abcdefgh/", count: 120) + "x",
    ])
    func refusedNames(_ name: String) throws {
        let (area, dir) = try Self.area()
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = #expect(throws: OnrampError.self) { try area.resolve(name) }
        #expect(error?.code == "file.path")
        #expect(error?.location == "path")
    }

    @Test func acceptedNamesStayInside() throws {
        let (area, dir) = try Self.area()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try area.resolve("orders.csv") == area.root + "/orders.csv")
        // Folders that do not exist yet are fine: an upload creates them.
        #expect(try area.resolve("2026/11/orders day 1.csv") == area.root + "/2026/11/orders day 1.csv")
        #expect(try area.resolve("caf\u{E9}..csv") == area.root + "/caf\u{E9}..csv")
        #expect(try area.resolve(String(repeating: "n", count: 255)).hasPrefix(area.root + "/"))
        #expect(area.root == dir.path + "/tenants/acme/files")
    }

    @Test func prepareMakesOwnerOnlyFolders() throws {
        let (area, dir) = try Self.area()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try area.prepare("in/2026/a.csv")
        #expect(path == area.root + "/in/2026/a.csv")
        let mode = try FileManager.default.attributesOfItem(atPath: area.root + "/in/2026")[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }

    @Test func symbolicLinksAreRefusedWhereverTheyPoint() throws {
        let (area, dir) = try Self.area()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        try "secret".write(toFile: dir.path + "/outside.txt", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: area.root + "/out", withDestinationPath: dir.path)
        try fm.createSymbolicLink(atPath: area.root + "/leak.txt", withDestinationPath: dir.path + "/outside.txt")
        try fm.createDirectory(atPath: area.root + "/inside", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: area.root + "/alias", withDestinationPath: area.root + "/inside")
        for name in ["out/outside.txt", "leak.txt", "alias/x.csv", "out/new/file.csv"] {
            let error = #expect(throws: OnrampError.self) { try area.resolve(name) }
            #expect(error?.code == "file.path", "\(name)")
            #expect(throws: OnrampError.self) { try area.prepare(name) }
        }
        #expect(!fm.fileExists(atPath: dir.path + "/new"))
        try "x".write(toFile: area.root + "/inside/file", atomically: true, encoding: .utf8)
        #expect(throws: OnrampError.self) { try area.resolve("inside/file/below") }
    }

    @Test func anAreaReachedThroughALinkIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-area-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(atPath: dir.path + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.path + "/tenants", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/tenants/acme", withDestinationPath: dir.path + "/elsewhere")
        let area = TenantFileArea(dataDirectory: dir.path, tenant: "acme")
        #expect(throws: OnrampError.self) { try area.resolve("a.csv") }
    }
}
