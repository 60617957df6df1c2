import Foundation
import OnrampCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tenant's file area, `<data>/tenants/<tenant>/files/`: turns a relative name into a path inside
/// it and refuses every name or symbolic link that could lead out of it (`file.path` errors).
public struct TenantFileArea: Sendable {
    /// Longest name in bytes (all segments with their `/`), longest segment, deepest nesting.
    public static let maxNameBytes = 1024
    public static let maxSegmentBytes = 255
    public static let maxDepth = 32

    /// The area's directory (absolute when `dataDirectory` is).
    public let root: String
    /// The field path named in errors.
    public var field: String
    public let tenant: String

    public init(dataDirectory: String, tenant: String, field: String = "path") {
        root = Self.root(dataDirectory: dataDirectory, tenant: tenant)
        self.field = field
        self.tenant = tenant
    }

    /// What an incremental read remembers of a file to tell whether it changed: its size and modification time.
    public static func fingerprint(ofFileAt path: String) throws -> String {
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        let size = (attrs[.size] as? NSNumber)?.int64Value ?? 0
        let mtime = (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(size):\(Int64(mtime * 1000))"
    }

    public static func root(dataDirectory: String, tenant: String) -> String {
        (dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory) + "/tenants/\(tenant)/files"
    }

    /// The segments of a relative name, checked without touching the disk: no absolute path, no empty
    /// segment, `.`, `..` or other name starting with a dot (also after Unicode compatibility mapping),
    /// no NUL, control character or backslash, and within the length limits.
    public static func segments(of relative: String, field: String = "path") throws -> [String] {
        func refuse(_ why: String) -> OnrampError {
            OnrampError("file.path", "\(why) (in \"\(printable(relative))\")", at: field)
        }
        guard !relative.isEmpty else { throw refuse("a file name is required") }
        guard !relative.hasPrefix("/") else {
            throw refuse("an absolute path is not allowed; name a file inside the tenant's area")
        }
        guard relative.utf8.count <= maxNameBytes else { throw refuse("the name is longer than \(maxNameBytes) bytes") }
        if let bad = relative.unicodeScalars.first(where: { $0.properties.generalCategory == .control || $0 == "\\" }) {
            throw refuse("the name contains the character U+\(String(bad.value, radix: 16, uppercase: true))")
        }
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= maxDepth else { throw refuse("more than \(maxDepth) nested folders") }
        for part in parts {
            guard !part.isEmpty else { throw refuse("empty path segment") }
            guard part.utf8.count <= maxSegmentBytes else { throw refuse("a segment is longer than \(maxSegmentBytes) bytes") }
            let mapped = part.precomposedStringWithCompatibilityMapping
            if part == "." || part == ".." || mapped == "." || mapped == ".." {
                throw refuse("'.' and '..' segments are not allowed")
            }
            guard !part.hasPrefix("."), !mapped.hasPrefix(".") else { throw refuse("a name may not start with '.'") }
            guard !mapped.contains("/") else { throw refuse("a segment may not contain a slash after Unicode mapping") }
        }
        return parts
    }

    /// The path of `relative` inside the area. Every component that exists on the way
    /// (the area itself included) must be a real directory, and the last, if it exists, not a link:
    /// checked with `lstat`, so a symbolic link anywhere is refused, wherever it points.
    public func resolve(_ relative: String) throws -> String {
        let parts = try Self.segments(of: relative, field: field)
        try checkDirectory(root, relative)
        var path = root
        for (i, part) in parts.enumerated() {
            path += "/" + part
            guard let kind = Self.kind(path) else { break }
            if kind == .symlink {
                throw OnrampError("file.path", "\"\(Self.printable(relative))\" passes through a symbolic link", at: field)
            }
            if i < parts.count - 1 && kind != .directory {
                throw OnrampError("file.path", "\"\(Self.printable(relative))\": \(part) is not a folder", at: field)
            }
        }
        return root + "/" + parts.joined(separator: "/")
    }

    /// Creates the area and the folders `relative` needs (owner-only, 0700), refusing links on the way.
    /// Returns the resolved path of the file.
    @discardableResult
    public func prepare(_ relative: String) throws -> String {
        let parts = try Self.segments(of: relative, field: field)
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw OnrampError("file.io", "cannot create the tenant's file area: \(error.localizedDescription)", at: field)
        }
        var path = root
        for part in parts.dropLast() {
            path += "/" + part
            _ = try resolve(String(path.dropFirst(root.count + 1)))
            if Self.kind(path) == nil, mkdir(path, 0o700) != 0, errno != EEXIST {
                throw OnrampError("file.io", "cannot create the folder \(part): \(String(cString: strerror(errno)))", at: field)
            }
        }
        return try resolve(relative)
    }

    public enum Kind: Sendable { case file, directory, symlink, other }

    /// What is at `path` itself (`lstat`: a link is reported as a link); nil when nothing is.
    public static func kind(_ path: String) -> Kind? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// The area's own folders below the data directory (`tenants`, the tenant, `files`) must not be links either.
    private func checkDirectory(_ path: String, _ relative: String) throws {
        var folder = path
        for _ in 0..<3 {
            if Self.kind(folder) == .symlink {
                throw OnrampError("file.path", "the tenant's file area is reached through a symbolic link (\(folder))",
                                  at: field)
            }
            folder = PathText.parent(folder)
        }
    }

    static func printable(_ s: String) -> String {
        let limited = s.unicodeScalars.prefix(120)
            .map { $0.properties.generalCategory == .control ? "?" : String($0) }.joined()
        return s.unicodeScalars.count > 120 ? limited + "…" : limited
    }
}
