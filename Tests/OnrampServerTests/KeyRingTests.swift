import Crypto
import Foundation
import OnrampCore
import OnrampEngine
@testable import OnrampServer
import OnrampStore
import Testing

/// The keyring on disk and key rotation: a crash after any step leaves every secret and artifact
/// openable, old keys keep opening what they sealed, and damaged key files are refused.
@Suite struct KeyRingTests {
    /// A data directory with two secrets and one sealed artifact under the ring's current key.
    struct Fixture {
        let dir: String
        let store = MemoryStore()
        var artifacts: [String] = []

        init() async throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-ring-\(UUID().uuidString)").path
            let ring = try KeyRing.load(directory: dir, environment: [:])
            let box = SecretBox(ring: ring)
            for (tenant, name, value) in [("acme", "K", "v1"), ("globex", "TOKEN", "t-2")] {
                let sealed = try box.seal(value, context: "\(tenant)/\(name)")
                await store.putSecret(SecretRecord(tenantId: tenant, name: name, ciphertext: sealed, updatedAt: Date()))
            }
            try sealArtifact(ring)
        }

        /// Seals a new artifact (its content is its own name) with the ring's current key.
        mutating func sealArtifact(_ ring: KeyRing) throws {
            let path = "\(dir)/runs/r\(artifacts.count)/results.ndjson"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(path.utf8).write(to: URL(fileURLWithPath: path))
            try ArtifactSealer(ring: ring).seal(path: path, context: "r\(artifacts.count)/results_path")
            artifacts.append(path)
        }

        /// Everything opens with the ring as a fresh start loads it from disk.
        func expectAllOpen(_ note: Comment) async throws {
            let ring = try KeyRing.load(directory: dir, environment: [:])
            let resolution = SecretResolution(store: store, box: SecretBox(ring: ring))
            #expect(try await resolution.resolve("acme") == ["K": TenantSecret(value: "v1")], note)
            #expect(try await resolution.resolve("globex") == ["TOKEN": TenantSecret(value: "t-2")], note)
            for (i, path) in artifacts.enumerated() {
                let plain = try ArtifactSealer(ring: ring).open(path: path + ".sealed", context: "r\(i)/results_path")
                #expect(plain == Data(path.utf8), note)
            }
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    struct Stop: Error {}

    static func loadError(_ dir: String) -> OnrampError? {
        #expect(throws: OnrampError.self) { try KeyRing.load(directory: dir, environment: [:]) }
    }

    static func mode(_ path: String) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    }

    @Test func firstStartCreatesAnOwnerOnlyRingThatReloads() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-ring-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ring = try KeyRing.load(directory: dir, environment: [:])
        let id = Hex.string(ring.currentId)
        #expect(try Self.mode("\(dir)/keys") == 0o700)
        #expect(try Self.mode("\(dir)/keys/\(id).key") == 0o600)
        #expect(try String(contentsOfFile: "\(dir)/keys/current", encoding: .utf8) == id + "\n")
        #expect(try KeyRing.load(directory: dir, environment: [:]).currentId == ring.currentId)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/keys")) == ["\(id).key", "current"])
    }

    @Test func legacyMasterKeysMoveIntoTheRing() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-ring-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let master = SymmetricKey(size: .bits256), previous = SymmetricKey(size: .bits256)
        try master.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: "\(dir)/master.key"))
        try previous.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: "\(dir)/master.key.previous"))
        let sealedNow = try SecretBox(key: master).seal("now", context: "acme/A")
        let sealedBefore = try SecretBox(key: previous).seal("before", context: "acme/B")
        // An artifact in the old ONRAMPA1 form (no key id) sealed under the previous key.
        let path = "\(dir)/results.ndjson"
        try Data("old artifact".utf8).write(to: URL(fileURLWithPath: path))
        try ArtifactSealer(box: SecretBox(key: previous)).seal(path: path, context: "r/results_path")
        let v2 = try Data(contentsOf: URL(fileURLWithPath: path + ".sealed"))
        try (Data("ONRAMPA1".utf8) + v2.dropFirst(16)).write(to: URL(fileURLWithPath: path + ".sealed"))

        let ring = try KeyRing.load(directory: dir, environment: [:])
        #expect(ring.currentId == KeyRing.id(of: master))
        #expect(Set(ring.ids) == [KeyRing.id(of: master), KeyRing.id(of: previous)])
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/master.key"))
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/master.key.previous"))
        let reloaded = SecretBox(ring: try KeyRing.load(directory: dir, environment: [:]))
        #expect(try reloaded.open(sealedNow, context: "acme/A") == "now")
        #expect(try reloaded.open(sealedBefore, context: "acme/B") == "before")
        #expect(try ArtifactSealer(ring: reloaded.ring).open(path: path + ".sealed", context: "r/results_path")
                == Data("old artifact".utf8))
    }

    @Test(arguments: KeyRing.RotationStep.allCases)
    func aCrashAfterAnyRotationStepLosesNothing(step: KeyRing.RotationStep) async throws {
        var f = try await Fixture()
        defer { f.remove() }
        let before = try KeyRing.load(directory: f.dir, environment: [:]).currentId
        let (store, dir) = (f.store, f.dir)
        await #expect(throws: Stop.self) {
            _ = try await KeyRing.rotate(store: store, directory: dir) { if $0 == step { throw Stop() } }
        }
        try await f.expectAllOpen("after a crash following \(step)")
        let ring = try KeyRing.load(directory: f.dir, environment: [:])
        #expect(ring.ids.count == 2)
        #expect((ring.currentId == before) == (step != .currentMoved), "current moves only in the last step")
        // The restarted server seals with whatever is current, and the next rotation completes.
        try f.sealArtifact(ring)
        let (rotated, count) = try await KeyRing.rotate(store: f.store, directory: f.dir)
        #expect(count == 2 && rotated.ids.count == 3)
        try await f.expectAllOpen("after the rotation that followed the crash")
    }

    @Test func aKeyFileLeftHalfWrittenIsIgnored() async throws {
        let f = try await Fixture()
        defer { f.remove() }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: "\(f.dir)/keys/0011223344556677.key.tmp"))
        try Data("ffff".utf8).write(to: URL(fileURLWithPath: "\(f.dir)/keys/current.tmp"))
        try await f.expectAllOpen("with temporary files a crash left")
    }

    @Test func twoRotationsKeepArtifactsFromBeforeBothOpenable() async throws {
        var f = try await Fixture()
        defer { f.remove() }
        let first = try KeyRing.load(directory: f.dir, environment: [:])
        let (second, n1) = try await KeyRing.rotate(store: f.store, directory: f.dir)
        try f.sealArtifact(second)
        let (third, n2) = try await KeyRing.rotate(store: f.store, directory: f.dir)
        #expect(n1 == 2 && n2 == 2)
        #expect(Set([first.currentId, second.currentId, third.currentId]).count == 3)
        #expect(try KeyRing.load(directory: f.dir, environment: [:]).currentId == third.currentId)
        #expect(FileManager.default.fileExists(atPath: KeyRing.keyPath(f.dir, first.currentId)), "old keys are kept")
        try await f.expectAllOpen("after two rotations")
        // Every secret is now sealed under the newest key.
        for s in await f.store.secrets(tenantId: nil) { #expect(s.ciphertext.dropFirst().prefix(8) == third.currentId) }
    }

    @Test func damagedKeyFilesAndUnknownKeyIdsAreClearErrors() async throws {
        let f = try await Fixture()
        defer { f.remove() }
        let ring = try KeyRing.load(directory: f.dir, environment: [:])
        let keyFile = KeyRing.keyPath(f.dir, ring.currentId)
        let original = try Data(contentsOf: URL(fileURLWithPath: keyFile))
        var tampered = original
        tampered[0] ^= 1
        try tampered.write(to: URL(fileURLWithPath: keyFile))
        let e1 = Self.loadError(f.dir)
        #expect(e1?.code == "key.tampered" && e1?.location == keyFile)
        try original.prefix(31).write(to: URL(fileURLWithPath: keyFile))
        #expect(Self.loadError(f.dir)?.code == "key.invalid")
        try FileManager.default.removeItem(atPath: keyFile)
        #expect(Self.loadError(f.dir)?.code == "key.missing")
        try original.write(to: URL(fileURLWithPath: keyFile))

        // A secret or artifact naming a key this ring does not hold.
        let stranger = KeyRing(key: SymmetricKey(size: .bits256))
        let sealed = try SecretBox(ring: stranger).seal("x", context: "acme/X")
        let e2 = #expect(throws: OnrampError.self) { try SecretBox(ring: ring).open(sealed, context: "acme/X") }
        #expect(e2?.code == "secret.key" && e2?.message.contains(Hex.string(stranger.currentId)) == true)
        let path = f.artifacts[0]
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        try ArtifactSealer(ring: stranger).seal(path: path, context: "r0/results_path")
        let e3 = #expect(throws: OnrampError.self) {
            try ArtifactSealer(ring: ring).open(path: path + ".sealed", context: "r0/results_path")
        }
        #expect(e3?.code == "artifact.key")
        // A sealed secret whose bytes were changed names a known key but does not open.
        var flipped = try SecretBox(ring: ring).seal("y", context: "acme/Y")
        flipped[flipped.count - 1] ^= 1
        #expect((#expect(throws: OnrampError.self) { try SecretBox(ring: ring).open(flipped, context: "acme/Y") })?.code
                == "secret.unreadable")
    }

    @Test func theEnvironmentKeyIsARingOfOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-ring-\(UUID().uuidString)").path
        let key = SymmetricKey(size: .bits256)
        let b64 = key.withUnsafeBytes { Data($0) }.base64EncodedString()
        let ring = try KeyRing.load(directory: dir, environment: ["ONRAMP_MASTER_KEY": b64])
        #expect(ring.ids == [KeyRing.id(of: key)] && ring.currentId == KeyRing.id(of: key))
        #expect(!FileManager.default.fileExists(atPath: dir), "an environment key writes no files")
        let e = #expect(throws: OnrampError.self) {
            try KeyRing.load(directory: dir, environment: ["ONRAMP_MASTER_KEY": "c2hvcnQ="])
        }
        #expect(e?.code == "key.invalid")
    }
}
