import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampFileFormats

/// The files a file source reads: a path or a glob, in name order, with the `new_files`
/// incremental filter (each file read once, remembered by name, size and modification time).
struct FileSet: Sendable {
    /// `name` is the path as the pipeline's author sees it (inside a tenant's file area: relative to it).
    typealias Entry = FileInput

    /// Where a file source's files are: `pattern` as configured, resolved in the run's file area.
    struct Location: Sendable {
        var configured: String
        var resolved: String
        var area: FileArea
        static let field = "source.config.path"

        init(_ configured: String, in resources: ConnectorResources) throws {
            self.configured = configured
            resolved = try resources.resolve(configured, field: Self.field)
            area = resources.files
        }
    }

    /// The files matching the location, each checked against the file area (a match that is a link
    /// leaving it is an error). Nothing matching is an error unless `allowNone` (an incremental read).
    static func list(_ location: Location, allowNone: Bool) throws -> [Entry] {
        var entries: [Entry]
        do { entries = try list(location.resolved) } catch {
            throw OnrampError("source.glob", "cannot list files matching '\(location.configured)'", at: Location.field)
        }
        for i in entries.indices {
            try location.area.check(match: entries[i].path, field: Location.field)
            let root = location.area.root.hasSuffix("/") ? location.area.root : location.area.root + "/"
            if location.area.isConfined, entries[i].path.hasPrefix(root) { entries[i].name = String(entries[i].path.dropFirst(root.count)) }
        }
        if entries.isEmpty && !allowNone {
            throw OnrampError("source.not_found", "no file matches '\(location.configured)'", at: Location.field)
        }
        return entries
    }

    static func list(_ pattern: String) throws -> [Entry] {
        var g = glob_t()
        defer { globfree(&g) }
        let rc = glob(pattern, 0, nil, &g)
        if rc == GLOB_NOMATCH { return [] }
        guard rc == 0 else { throw OnrampError("source.glob", "cannot list files matching '\(pattern)'", at: Location.field) }
        var out: [Entry] = []
        for i in 0..<Int(g.gl_pathc) {
            guard let p = g.gl_pathv[i].map({ String(cString: $0) }) else { continue }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue else { continue }
            out.append(Entry(path: p, name: p, fingerprint: try TenantFileArea.fingerprint(ofFileAt: p)))
        }
        return out.sorted { $0.path < $1.path }
    }

    /// Files not yet in the checkpoint's `files` map (or changed since).
    static func pending(_ entries: [Entry], checkpoint: Value?) -> [Entry] {
        let seen = checkpoint?["files"]?.objectValue ?? [:]
        return entries.filter { seen[$0.path]?.stringValue != $0.fingerprint }
    }

    @Sendable static func checkpoint(_ prior: Value?, adding e: Entry) -> Value {
        var files = prior?["files"]?.objectValue ?? [:]
        files[e.path] = .string(e.fingerprint)
        return .object(["files": .object(files)])
    }
}
