import Foundation
import OnrampCore
import OnrampEngine

extension DeployLayout {
    /// Writes `files` under `dir` (each through a temporary file renamed into place, so a symbolic link planted where a
    /// file goes is replaced, never followed). With `removeStale`, other `.yaml` files in the four folders are
    /// removed (a full pull mirrors the server). Returns the paths removed.
    @discardableResult
    public static func write(_ files: [String: String], to dir: String, removeStale: Bool) throws -> [String] {
        let fm = FileManager.default
        for folder in folders {
            let path = dir + "/" + folder
            if let type = try? fm.attributesOfItem(atPath: path)[.type] as? FileAttributeType, type != .typeDirectory {
                throw OnrampError(
                    "deploy.layout", "\(folder) is not a folder (a symbolic link or a file); nothing written", at: path)
            }
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        for (relative, text) in files.sorted(by: { $0.key < $1.key }) {
            let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, folders.contains(String(parts[0])), !parts[1].hasPrefix("."),
                !parts[1].contains("\\")
            else {
                throw OnrampError("deploy.layout", "refusing to write outside the layout", at: relative)
            }
            let target = dir + "/" + relative
            let temporary = dir + "/" + parts[0] + "/.onramp-" + UUID().uuidString
            guard fm.createFile(atPath: temporary, contents: Data(text.utf8)) else {
                throw OnrampError("deploy.write", "cannot write", at: target)
            }
            guard rename(temporary, target) == 0 else {
                try? fm.removeItem(atPath: temporary)
                throw OnrampError("deploy.write", "cannot write: \(String(cString: strerror(errno)))", at: target)
            }
        }
        guard removeStale else { return [] }
        var removed: [String] = []
        for folder in folders {
            for entry in try fm.contentsOfDirectory(atPath: dir + "/" + folder).sorted()
            where isItemFile(entry) && files[folder + "/" + entry] == nil {
                try fm.removeItem(atPath: dir + "/" + folder + "/" + entry)
                removed.append(folder + "/" + entry)
            }
        }
        return removed
    }

    /// Reads a directory written by `write` (or by hand): every `.yaml` file of the four folders, each checked for its
    /// shape; an error names the file and the key. Two files naming one item are an error.
    public static func read(_ dir: String) throws -> DeployState {
        var state = DeployState()
        func claim(_ key: String, _ file: String) throws {
            if let other = state.origins[key] {
                throw OnrampError("deploy.duplicate", "\(key) is also defined in \(other)", at: file)
            }
            state.origins[key] = file
        }
        for (file, value) in try documents(dir, "connections") {
            let o = try object(value, file, keys: ["name", "connector", "config"])
            let name = try string(o, "name", file)
            try claim("connection \(name)", file)
            state.connections[name] = ConnectionDefinition(
                name: name, connector: try string(o, "connector", file),
                config: o["config"] ?? .object([:]))
        }
        for (file, value) in try documents(dir, "templates") {
            let o = try object(value, file, keys: ["name", "description", "document"])
            let name = try string(o, "name", file)
            try claim("template \(name)", file)
            guard let document = o["document"] else {
                throw OnrampError("deploy.file", "required key is missing", at: "\(file): document")
            }
            state.templates[name] = TemplateDefinition(
                name: name, description: o["description"]?.stringValue ?? "", document: document)
        }
        for (file, value) in try documents(dir, "pipelines") {
            guard case .object(let o) = value else {
                throw OnrampError("deploy.file", "a pipeline file holds a mapping", at: file)
            }
            let name = try string(o, "name", file)
            try claim("pipeline \(name)", file)
            state.pipelines[name] = value
        }
        for (file, value) in try documents(dir, "schedules") {
            let o = try object(value, file, keys: ["pipeline", "schedules"])
            let pipeline = try string(o, "pipeline", file)
            try claim("schedules \(pipeline)", file)
            guard case .array(let items)? = o["schedules"] else {
                throw OnrampError("deploy.file", "must be a list of schedules", at: "\(file): schedules")
            }
            state.schedules[pipeline] = try items.enumerated().map { i, item in
                let at = "\(file): schedules[\(i)]"
                let s = try object(item, at, keys: ["cron", "timezone", "enabled"])
                let timezone = s["timezone"] == nil ? "UTC" : try string(s, "timezone", at)
                guard s["enabled"] == nil || s["enabled"]?.boolValue != nil else {
                    throw OnrampError("deploy.file", "must be true or false", at: "\(at).enabled")
                }
                return ScheduleDefinition(
                    cron: try string(s, "cron", at), timezone: timezone, enabled: s["enabled"]?.boolValue ?? true)
            }
        }
        return state
    }

    /// The `.yaml` files of one folder (none when it is absent), parsed, by their path relative to `dir`.
    static func documents(_ dir: String, _ folder: String) throws -> [(String, Value)] {
        let fm = FileManager.default
        let path = dir + "/" + folder
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { throw OnrampError("deploy.layout", "\(folder) is not a folder", at: path) }
        var out: [(String, Value)] = []
        for entry in try fm.contentsOfDirectory(atPath: path).sorted()
        where isItemFile(entry) {
            let file = folder + "/" + entry
            let attributes = try fm.attributesOfItem(atPath: path + "/" + entry)
            guard attributes[.type] as? FileAttributeType == .typeRegular else {
                throw OnrampError("deploy.file", "not a regular file (a symbolic link?)", at: file)
            }
            guard (attributes[.size] as? Int ?? 0) <= maxFileBytes else {
                throw OnrampError("deploy.file", "larger than \(maxFileBytes >> 20) MiB", at: file)
            }
            guard let data = fm.contents(atPath: path + "/" + entry), let text = String(data: data, encoding: .utf8)
            else {
                throw OnrampError("deploy.file", "cannot read it as UTF-8 text", at: file)
            }
            out.append((file, try PipelineLoader.document(text, file: file)))
        }
        return out
    }

    static func object(_ value: Value, _ file: String, keys: [String]) throws -> Value.Object {
        guard case .object(let o) = value else { throw OnrampError("deploy.file", "must be a mapping", at: file) }
        for key in o.keys where !keys.contains(key) {
            throw OnrampError(
                "deploy.file", "unknown key; expected \(keys.joined(separator: ", "))", at: "\(file): \(key)")
        }
        return o
    }

    static func string(_ o: Value.Object, _ key: String, _ file: String) throws -> String {
        guard let v = o[key] else { throw OnrampError("deploy.file", "required key is missing", at: "\(file): \(key)") }
        guard case .string(let s) = v, !s.isEmpty else {
            throw OnrampError("deploy.file", "must be a non-empty string", at: "\(file): \(key)")
        }
        return s
    }
}
