import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OnrampCore
import OnrampServer
import Logging

struct RotateKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-key",
        abstract: "Add a new master key to the keyring, re-encrypt every stored secret under it and make it current "
            + "(refused while a server uses the data directory).")
    @Option(help: "Data directory.") var data = ProcessInfo.processInfo.environment["ONRAMP_DATA"] ?? "onramp-data"
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var keys: KeyOptions

    func run() async throws {
        guard ProcessInfo.processInfo.environment["ONRAMP_MASTER_KEY"] == nil else {
            throw ValidationError("the master key comes from ONRAMP_MASTER_KEY, not the keyring in \(data): "
                                  + "unset it to rotate the keyring")
        }
        guard storeOptions.isShared || FileManager.default.fileExists(atPath: "\(data)/onramp.sqlite") else {
            throw ValidationError("\(data) is not an onramp data directory (no onramp.sqlite)")
        }
        umask(0o077)
        let lock = try DataDirectoryLock(directory: data)
        defer { lock.release() }
        let opened = try await OpenedStore.open(storeOptions.store, data: data, migrate: false,
                                                logger: Logger(label: "onramp.rotate-key"))
        defer { opened.close() }
        let (ring, count) = try await KeyRing.rotate(store: opened.store, directory: data, wrapper: try keys.wrapper())
        print("re-encrypted \(count) secret(s) under the new master key \(Hex.string(ring.currentId))"
              + " in \(data)/keys (\(ring.ids.count) key(s) kept; older ones still open older artifacts)")
    }
}
