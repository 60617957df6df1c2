import Foundation
import OnrampCore

/// A plugins directory: one folder per plugin, named after it, holding its `plugin.json` (and for Python
/// plugins its own `venv`).
public struct PluginDirectory: Sendable {
    public let path: String

    /// `path` relative to the current directory becomes absolute (plugins run in working directories of their own).
    public init(_ path: String) {
        self.path = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Every plugin with a valid manifest, by folder name; the others with their error.
    public func installed(skipped: inout [(directory: String, error: OnrampError)]) -> [(PluginManifest, String)] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted()
        var out: [(PluginManifest, String)] = []
        for name in names {
            let dir = path + "/" + name
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else { continue }
            do {
                let m = try PluginManifest.load(directory: dir)
                guard m.name == name else {
                    throw OnrampError("plugin.manifest", "the folder is \(name) but the manifest names \(m.name)",
                                      at: dir + "/plugin.json: name")
                }
                out.append((m, dir))
            } catch let e as OnrampError {
                skipped.append((dir, e))
            } catch {
                skipped.append((dir, OnrampError("plugin.manifest", "\(error)", at: dir)))
            }
        }
        return out
    }
}
