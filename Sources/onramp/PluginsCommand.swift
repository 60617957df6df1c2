import ArgumentParser
import Foundation
import OnrampCore
import OnrampPlugins

/// `onramp plugins install|list|remove`: manage the plugins directory.
struct PluginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "Install, list and remove plugins (Singer taps, Airbyte sources, Onramp-protocol programs).",
        subcommands: [Install.self, List.self, Remove.self])

    struct Directory: ParsableArguments {
        @Option(help: "The plugins directory (default: $ONRAMP_PLUGINS, else ./plugins).")
        var plugins: String?
        var path: String { plugins ?? ProcessInfo.processInfo.environment["ONRAMP_PLUGINS"] ?? "plugins" }
    }

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install a Python plugin from PyPI or a wheel into a virtual environment of its own, or copy a plugin folder.")
        @Argument(help: "A package (airbyte-source-faker, tap-csv==1.1.0), a .whl file, or a folder with a plugin.json.")
        var source: String
        @Option(help: "singer, airbyte or onramp (required for a package).") var `protocol`: String?
        @Option(help: "The connector name (default: the package name; airbyte-source-x becomes source-x).") var name: String?
        @Option(help: "The program in the venv's bin (default: the plugin's name).") var command: String?
        @Option(help: "The Python that creates the venv (default: /usr/bin/python3).") var python: String?
        @Flag(help: "Run the plugin with no network at all.") var noNetwork = false
        @OptionGroup var directory: Directory

        func run() async throws {
            var proto: PluginManifest.WireProtocol?
            if let p = `protocol` {
                guard let parsed = PluginManifest.WireProtocol(rawValue: p) else {
                    throw ValidationError("--protocol must be singer, airbyte or onramp")
                }
                proto = parsed
            }
            var request = PluginInstaller.Request(source: source, protocol: proto, name: name, command: command)
            request.network = !noNetwork
            do {
                let m = try await PluginInstaller(directory: directory.path, python: python).install(request)
                print("installed \(m.name) \(m.version) (\(m.protocol.rawValue)) in \(directory.path)/\(m.name)")
            } catch {
                report(error)
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the installed plugins.")
        @OptionGroup var directory: Directory

        func run() async throws {
            var skipped: [(directory: String, error: OnrampError)] = []
            let installed = PluginDirectory(directory.path).installed(skipped: &skipped)
            if installed.isEmpty && skipped.isEmpty { print("no plugins in \(directory.path)") }
            for (m, _) in installed {
                print([m.name, m.version, m.protocol.rawValue, m.summary].joined(separator: "\t"))
            }
            for (dir, error) in skipped { print("\(dir): not loaded: \(error)") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an installed plugin and its virtual environment.")
        @Argument var name: String
        @OptionGroup var directory: Directory

        func run() async throws {
            do {
                try PluginInstaller(directory: directory.path).remove(name)
                print("removed \(name)")
            } catch {
                report(error)
                throw ExitCode(1)
            }
        }
    }
}
