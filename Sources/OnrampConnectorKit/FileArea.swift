import Foundation
import OnrampCore

/// Where a connector's file paths resolve and how far they may reach. A CLI run is the operator's own
/// (`local`: any path, relative ones against the pipeline file's folder); a server run is a tenant's
/// (`confined`: relative paths inside the tenant's file area, plus read-only roots the operator
/// mounted for it; absolute paths elsewhere, `..` and symbolic links that leave the area are errors).
public struct FileArea: Sendable, Equatable, Codable {
    public enum Kind: Sendable, Equatable, Codable {
        case local
        case confined(readOnlyRoots: [String])
    }

    public var root: String
    public var kind: Kind

    public static func local(_ baseDirectory: String) -> FileArea { FileArea(root: baseDirectory, kind: .local) }

    public static func confined(_ root: String, readOnlyRoots: [String] = []) -> FileArea {
        FileArea(root: root, kind: .confined(readOnlyRoots: readOnlyRoots))
    }

    public var isConfined: Bool { kind != .local }

    /// Inside `reference-tables/`, where only the reference tables API writes (versions never change).
    public static func isReserved(_ relative: String) -> Bool {
        let first = relative.split(separator: "/", omittingEmptySubsequences: true).first.map(String.init) ?? ""
        return first == "reference-tables"
    }

    /// The absolute path a config's `path` names; for a confined area, after checking it stays inside.
    /// Globs are checked per segment here and per match by `check(match:field:)`.
    public func resolve(_ path: String, field: String, forWriting: Bool = false) throws -> String {
        guard case .confined(let readOnly) = kind else {
            return path.hasPrefix("/") ? path : Self.join(root, path)
        }
        if path.hasPrefix("/") {
            if path.utf8.contains(0) { throw OnrampError("file.outside", "not a usable path", at: field) }
            guard !forWriting, readOnly.contains(where: { Self.isInside(path, $0) }) else {
                throw OnrampError("file.outside", "absolute paths are not allowed: give a path relative to the tenant's file area",
                                  at: field)
            }
            return try checked(path, field: field, roots: readOnly)
        }
        // The same name rules as the file upload API: no `..`, `.`, dot names, empty segments or control characters.
        do { _ = try TenantFileArea.segments(of: path, field: field) } catch let e as OnrampError {
            throw OnrampError("file.outside", e.message, at: field)
        }
        if forWriting, Self.isReserved(path) {
            throw OnrampError("file.reserved", "reference-tables/ holds the tenant's reference tables: no connector writes there",
                              at: field)
        }
        let full = Self.join(root, path)
        if forWriting {
            var st = stat()
            if lstat(full, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
                throw OnrampError("file.outside", "the path is a symbolic link; links are not followed", at: field)
            }
        }
        return try checked(full, field: field, roots: [root])
    }

    /// A file a glob matched: an error when it is (or goes through) a link leaving the area.
    public func check(match path: String, field: String) throws {
        guard case .confined(let readOnly) = kind else { return }
        _ = try checked(path, field: field, roots: [root] + readOnly)
    }

    /// `path` itself when its real location (links followed) stays inside the root it is written under;
    /// a path that does not exist yet is checked through its nearest existing ancestor (globs keep their
    /// pattern). Nothing is checked while that root does not exist yet: there is no link in it to follow.
    private func checked(_ path: String, field: String, roots: [String]) throws -> String {
        guard let lexical = roots.first(where: { Self.isInside(path, $0) }) else {
            throw OnrampError("file.outside", "the path is outside the tenant's file area", at: field)
        }
        guard let realRoot = Self.realPath(lexical) else { return path }
        var existing = path
        while existing.count > lexical.count, Self.realPath(existing) == nil {
            var st = stat()
            if lstat(existing, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
                throw OnrampError("file.outside", "the path is a symbolic link whose target does not exist", at: field)
            }
            existing = PathText.parent(existing)
        }
        guard let real = Self.realPath(existing), Self.isInside(real, realRoot) else {
            throw OnrampError("file.outside", "the path leads outside the tenant's file area (through a symbolic link)", at: field)
        }
        return path
    }

    static func realPath(_ path: String) -> String? {
        guard let r = realpath(path, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    static func isInside(_ path: String, _ root: String) -> Bool {
        let r = root.hasSuffix("/") ? String(root.dropLast()) : root
        return path == r || path.hasPrefix(r + "/")
    }

    static func join(_ base: String, _ path: String) -> String {
        base.hasSuffix("/") ? base + path : base + "/" + path
    }
}
