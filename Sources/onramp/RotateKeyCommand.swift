import ArgumentParser
import Foundation
import OnrampServer
import OnrampStoreSQLite

struct RotateKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rotate-key", abstract: "Re-encrypt every stored secret under a new master key (run with the server stopped).")
    @Option(help: "Data directory.") var data = ProcessInfo.processInfo.environment["ONRAMP_DATA"] ?? "onramp-data"

    func run() async throws {
        let store = try SQLiteStore(path: "\(data)/onramp.sqlite")
        let count = try await SecretBox.rotate(store: store, directory: data)
        print("re-encrypted \(count) secret(s) under a new master key in \(data)/master.key (the old one is kept as master.key.previous)")
    }
}
