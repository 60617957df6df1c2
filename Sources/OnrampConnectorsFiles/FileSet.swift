import Foundation
import OnrampCore

/// The files a file source reads: a path or a glob, in name order, with the `new_files`
/// incremental filter (each file read once, remembered by name, size and modification time).
struct FileSet: Sendable {
    struct Entry: Sendable {
        var path: String
        var fingerprint: String
    }

    static func list(_ pattern: String) throws -> [Entry] {
        var g = glob_t()
        defer { globfree(&g) }
        let rc = glob(pattern, 0, nil, &g)
        if rc == GLOB_NOMATCH { return [] }
        guard rc == 0 else { throw OnrampError("source.glob", "cannot list files matching '\(pattern)'", at: "source.config.path") }
        var out: [Entry] = []
        for i in 0..<Int(g.gl_pathc) {
            guard let p = g.gl_pathv[i].map({ String(cString: $0) }) else { continue }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue else { continue }
            let attrs = try FileManager.default.attributesOfItem(atPath: p)
            let size = (attrs[.size] as? NSNumber)?.int64Value ?? 0
            let mtime = (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            out.append(Entry(path: p, fingerprint: "\(size):\(Int64(mtime * 1000))"))
        }
        return out.sorted { $0.path < $1.path }
    }

    /// Files not yet in the checkpoint's `files` map (or changed since).
    static func pending(_ entries: [Entry], checkpoint: Value?) -> [Entry] {
        let seen = checkpoint?["files"]?.objectValue ?? [:]
        return entries.filter { seen[$0.path]?.stringValue != $0.fingerprint }
    }

    static func checkpoint(_ prior: Value?, adding e: Entry) -> Value {
        var files = prior?["files"]?.objectValue ?? [:]
        files[e.path] = .string(e.fingerprint)
        return .object(["files": .object(files)])
    }
}
