import Foundation
import Logging
import OnrampCore
import Synchronization

/// Installs, lists and removes plugins in a plugins directory. A Python plugin (a package name or a local wheel)
/// gets a virtual environment of its own (`<plugins>/<name>/venv`), so plugins' dependencies never meet; a folder
/// with a `plugin.json` is copied in. Airbyte and Onramp plugins are asked for their `spec`, which becomes the
/// connector's config schema. A failed install leaves nothing behind.
public struct PluginInstaller: Sendable {
    public let directory: PluginDirectory
    public var python: String
    public var logger: Logger

    public init(directory: String, python: String? = nil, logger: Logger = Logger(label: "onramp.plugins")) {
        self.directory = PluginDirectory(directory)
        self.python = python ?? (FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3")
        self.logger = logger
    }

    public struct Request: Sendable {
        /// A PyPI package (`airbyte-source-faker`, `tap-csv==1.2.0`), a wheel file, or a folder with a plugin.json.
        public var source: String
        public var `protocol`: PluginManifest.WireProtocol?
        public var name: String?
        /// The program in the venv's bin (default: the plugin's name).
        public var command: String?
        public var network = true

        public init(source: String, protocol: PluginManifest.WireProtocol? = nil, name: String? = nil, command: String? = nil) {
            self.source = source
            self.protocol = `protocol`
            self.name = name
            self.command = command
        }
    }

    public func install(_ request: Request) async throws -> PluginManifest {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: request.source + "/plugin.json", isDirectory: &isDir), !isDir.boolValue {
            return try await installFolder(request)
        }
        guard let proto = request.protocol else {
            throw OnrampError("plugin.install", "give --protocol singer, airbyte or onramp for a Python package", at: "--protocol")
        }
        let package = Self.packageName(request.source)
        let name = request.name ?? (proto == .airbyte && package.hasPrefix("airbyte-") ? String(package.dropFirst(8)) : package)
        return try await populate(name) { target in
            try run(python, ["-m", "venv", target + "/venv"], doing: "creating the virtual environment")
            try run(target + "/venv/bin/pip", ["install", "--disable-pip-version-check", "--no-input", "-q", request.source],
                    doing: "pip install \(request.source)")
            let command = "venv/bin/" + (request.command ?? name)
            guard FileManager.default.isExecutableFile(atPath: target + "/" + command) else {
                throw OnrampError("plugin.install", "the package installed no program \(command); name it with --command",
                                  at: "--command")
            }
            let version = (try? output(target + "/venv/bin/python", ["-c", "import importlib.metadata as m, sys; "
                                                                       + "print(m.version(sys.argv[1]))", package]))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "0"
            var manifest = PluginManifest(name: name, version: version.isEmpty ? "0" : version, protocol: proto,
                                          summary: "", command: command)
            manifest.network = request.network
            return manifest
        }
    }

    /// Removes an installed plugin (its folder and venv).
    public func remove(_ name: String) throws {
        guard PluginManifest.validName(name) else { throw OnrampError("plugin.name", "not a plugin name", at: name) }
        let target = directory.path + "/" + name
        guard FileManager.default.fileExists(atPath: target + "/plugin.json") else {
            throw OnrampError("plugin.not_installed", "no plugin \(name) in \(directory.path)", at: name)
        }
        try FileManager.default.removeItem(atPath: target)
    }

    private func installFolder(_ request: Request) async throws -> PluginManifest {
        var manifest = try PluginManifest.load(directory: request.source)
        manifest.name = request.name ?? manifest.name
        return try await populate(manifest.name) { target in
            try FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: request.source, toPath: target)
            try Self.openUp(target)
            return manifest
        }
    }

    /// Makes `name`'s folder, lets `fill` put the plugin in it, asks the plugin for its spec and writes the manifest
    /// last; on any failure the folder goes, so an install is all or nothing.
    private func populate(_ name: String, _ fill: (String) async throws -> PluginManifest) async throws -> PluginManifest {
        let target = try prepare(name)
        do {
            let manifest = try await withSpec(try await fill(target), directory: target)
            try save(manifest, in: target)
            return manifest
        } catch {
            try? FileManager.default.removeItem(atPath: target)
            throw error
        }
    }

    /// A new, empty folder for `name` (readable by the plugins' user).
    private func prepare(_ name: String) throws -> String {
        guard PluginManifest.validName(name) else {
            throw OnrampError("plugin.name", "'\(name)' is not a plugin name (lower-case letters, digits, _ or -); give --name",
                              at: "--name")
        }
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let target = directory.path + "/" + name
        guard mkdir(target, 0o755) == 0 else {
            throw OnrampError("plugin.exists", errno == EEXIST ? "plugin \(name) is installed already; remove it first"
                              : "cannot create \(target) (errno \(errno))", at: name)
        }
        chmod(target, 0o755)
        return target
    }

    private func save(_ manifest: PluginManifest, in target: String) throws {
        // Only the worker reads a manifest: its env values are not for other plugins' users to read, at no moment.
        let temporary = target + "/.plugin.json.new"
        unlink(temporary)
        try PluginRuntime.writePrivate(JSONWriter.string(manifest.value, pretty: true) + "\n", to: temporary, owner: nil)
        guard rename(temporary, target + "/plugin.json") == 0 else {
            throw OnrampError("plugin.install", "cannot write \(target)/plugin.json (errno \(errno))")
        }
    }

    /// Asks an Airbyte or Onramp plugin for its spec (unless its manifest has a config schema already).
    func withSpec(_ manifest: PluginManifest, directory: String) async throws -> PluginManifest {
        var m = manifest
        guard m.configSchema == nil, m.protocol != .singer else { return m }
        let runtime = PluginRuntime(manifest: m, directory: directory, runAs: .hostDefault, logger: logger)
        switch m.protocol {
        case .airbyte:
            let (messages, ending, op) = try await runtime.collect(["spec"])
            guard let spec = messages.first(where: { $0["type"] == "SPEC" })?["spec"]?["connectionSpecification"] else {
                throw ending.clean ? OnrampError("plugin.spec", "plugin \(m.name) printed no SPEC")
                    : runtime.failure(op, ending, doing: "spec")
            }
            m.configSchema = Self.markSecrets(spec)
        case .onramp:
            let answer = try await OnrampProtocol.ask(runtime, ["type": "spec", "protocol_version": 1], expect: "spec")
            if m.summary.isEmpty, let s = answer["summary"]?.stringValue { m.summary = s }
            m.configSchema = answer["source"]?["config_schema"]
            m.incrementalSchema = answer["source"]?["incremental_schema"]
            m.destinationSchema = answer["destination"]?["config_schema"]
            m.transformSchema = answer["transform"]?["config_schema"]
        case .singer:
            break
        }
        return m
    }

    /// Airbyte's `airbyte_secret: true` as Onramp's `x-secret: true`, everywhere in a schema.
    static func markSecrets(_ schema: Value) -> Value {
        switch schema {
        case .object(var o):
            for (k, v) in o { o[k] = markSecrets(v) }
            if o["airbyte_secret"] == .bool(true) { o["x-secret"] = .bool(true) }
            return .object(o)
        case .array(let a):
            return .array(a.map(markSecrets))
        default:
            return schema
        }
    }

    /// `airbyte-source-faker==6.2` → `airbyte-source-faker`; `dist/tap_x-1.0-py3-none-any.whl` → `tap-x`.
    static func packageName(_ source: String) -> String {
        var s = (source as NSString).lastPathComponent
        if s.hasSuffix(".whl") || s.hasSuffix(".tar.gz") {
            s = String(s.split(separator: "-").first ?? Substring(s))
        }
        if let cut = s.firstIndex(where: { "=<>![; ".contains($0) }) { s = String(s[..<cut]) }
        return s.lowercased().replacingOccurrences(of: "_", with: "-")
    }

    private static func openUp(_ path: String) throws {
        let e = FileManager.default.enumerator(atPath: path)
        chmod(path, 0o755)
        while let item = e?.nextObject() as? String {
            let full = path + "/" + item
            var st = stat()
            guard lstat(full, &st) == 0, st.st_mode & S_IFMT != S_IFLNK else { continue }
            if item == "plugin.json" { chmod(full, 0o600); continue }   // its env values are the worker's only
            chmod(full, st.st_mode & S_IFMT == S_IFDIR || st.st_mode & 0o100 != 0 ? 0o755 : 0o644)
        }
    }

    private func run(_ program: String, _ arguments: [String], doing what: String) throws {
        _ = try output(program, arguments, doing: what)
    }

    private func output(_ program: String, _ arguments: [String], doing what: String = "") throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/env")
        p.arguments = program.hasPrefix("/") ? arguments : [program] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let errorText = Mutex(Data())
        let reading = DispatchGroup()
        DispatchQueue.global().async(group: reading) { errorText.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        let errors = errorText.withLock { $0 }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let tail = String(decoding: errors, as: UTF8.self).split(separator: "\n").suffix(5).joined(separator: " | ")
            throw OnrampError("plugin.install", "\(what) failed (status \(p.terminationStatus)): \(tail)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
