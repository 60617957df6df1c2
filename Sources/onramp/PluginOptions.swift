import ArgumentParser
import Foundation
import OnrampConnectorKit
import OnrampPlugins

/// `--plugins DIR` and `--plugin-user`: where installed plugins are and which Unix user runs them.
struct PluginOptions: ParsableArguments {
    @Option(help: "The plugins directory (default: $ONRAMP_PLUGINS); its plugins are connectors like the built-in ones.")
    var plugins: String?
    @Option(help: "The user plugins run as: 'isolated' (a fresh UID per process; the default as root), a name, UID:GID, or 'self'.")
    var pluginUser: String?

    var directory: String? { plugins ?? ProcessInfo.processInfo.environment["ONRAMP_PLUGINS"] }

    func runAs() throws -> PluginLaunch.RunAs? {
        guard let user = pluginUser else { return .hostDefault }
        if user == "self" { return nil }
        if user == "isolated" { return .isolated }
        let parts = user.split(separator: ":")
        if parts.count == 2, let uid = UInt32(parts[0]), let gid = UInt32(parts[1]) { return PluginLaunch.RunAs(uid: uid, gid: gid) }
        guard let pw = getpwnam(user) else { throw ValidationError("--plugin-user: no user named \(user)") }
        return PluginLaunch.RunAs(uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid)
    }

    /// `serve` and `worker` run many tenants' plugins. Not as root, with no `--plugin-user`, plugins would run as
    /// this process's own user and could read its data directory, keys and every tenant's files: refused unless
    /// the operator says so (`--plugin-user self`).
    func requireTenantIsolation(hostIsRoot: Bool = getuid() == 0) throws {
        guard directory != nil, pluginUser == nil, !hostIsRoot else { return }
        throw ValidationError("--plugins: this process is not root, so plugins would run as its own user and could "
            + "read its data directory, keys and every tenant's files. Run it as root (each plugin process then gets "
            + "a user of its own), or give --plugin-user self to accept that")
    }

    /// The built-in connectors and the installed plugins (a plugin that cannot be loaded is reported on stderr).
    func registry() throws -> ConnectorRegistry {
        var r = ConnectorRegistry.build()
        if let directory {
            let loaded = PluginConnectors.register(into: &r, directory: directory, runAs: try runAs())
            for (dir, error) in loaded.skipped {
                FileHandle.standardError.write(Data("warning: plugin in \(dir) not loaded: \(error)\n".utf8))
            }
        }
        return r
    }

    /// The same options for a child process (`exec-run`, `exec-preview`).
    var childArguments: [String] {
        (directory.map { ["--plugins", $0] } ?? []) + (pluginUser.map { ["--plugin-user", $0] } ?? [])
    }
}
