import Foundation
import Hummingbird
import NIOCore
import OnrampConnectorKit
import OnrampCore
import OnrampStore
#if canImport(Glibc)
import Glibc
#endif

/// A tenant's file area over the API: upload (streamed to a temporary file, renamed into place when
/// complete), list, download (streamed) and delete. Names are checked by `TenantFileArea`.
extension OnrampAPI {
    static let fileWriters: Set<Role> = [.platformAdmin, .engineer, .tenantAdmin]
    static let maxListedFiles = 10_000

    func addFileRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.get("/tenants/:tenant/files") { request, context in
            let area = try await fileArea(context, roles: Set(Role.allCases))
            let list = try ListPage(request, allowed: ["prefix"])
            let prefix = request.uri.queryParameters.get("prefix") ?? ""
            var files: [Value] = []
            let truncated = Self.listFiles(area.root, "", prefix: prefix, into: &files)
            let page = list.slice(files) { $0["path"]?.stringValue ?? "" }
            let items = try await withReaders(page.items, area: area)
            return JSONResponse.make(["files": .array(items), "next_cursor": page.next, "truncated": .bool(truncated)])
        }
        api.put("/tenants/:tenant/files/**") { request, context in
            let area = try await fileArea(context, roles: Self.fileWriters)
            let name = try Self.writableFileName(context)
            if let length = request.headers[.contentLength].flatMap(Int64.init), length > maxUploadBytes { throw tooLarge() }
            let target = try Self.checked { try area.prepare(name) }
            if TenantFileArea.kind(target) == .directory {
                throw APIError(.conflict, "conflict", "\(name) is a folder", field: "path")
            }
            let size = try await receive(request.body, into: target, tenant: area.tenant)
            let fallback: Value = ["path": .string(name), "size": .number(Double(size)), "modified_at": .string(ISOTime.string(Date()))]
            return JSONResponse.make(Self.fileValue(name, path: target) ?? fallback)
        }
        api.get("/tenants/:tenant/files/**") { _, context in
            let area = try await fileArea(context, roles: Set(Role.allCases))
            let name = try Self.fileName(context)
            let path = try Self.checked { try area.resolve(name) }
            var st = stat()
            guard TenantFileArea.kind(path) == .file, lstat(path, &st) == 0 else { throw APIError.notFound("file \(name)") }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"],
                            body: ResponseBody(contentLength: Int(st.st_size)) { writer in
                                try await Self.send(path, to: &writer)
                            })
        }
        api.delete("/tenants/:tenant/files/**") { _, context in
            let area = try await fileArea(context, roles: Self.fileWriters)
            let name = try Self.writableFileName(context)
            let path = try Self.checked { try area.resolve(name) }
            try quota.change(area.tenant) {
                var st = stat()
                guard TenantFileArea.kind(path) == .file, lstat(path, &st) == 0, unlink(path) == 0 else {
                    throw APIError.notFound("file \(name)")
                }
                return -Int64(st.st_size)
            }
            return Response(status: .noContent)
        }
    }

    /// Each file with `read_by`: the tenant's pipelines whose incremental (`new_files`) source has read it, and
    /// whether it `changed_since` (its size or modification time is not what was read).
    func withReaders(_ files: [Value], area: TenantFileArea) async throws -> [Value] {
        var readers: [String: [Value]] = [:]
        let root = area.root + "/"
        // Only the page's files are looked up (a checkpoint may name many thousands), each stat'ed once.
        let current = Dictionary(files.compactMap(\.["path"]?.stringValue).map { ($0, try? TenantFileArea.fingerprint(ofFileAt: root + $0)) },
                                 uniquingKeysWith: { a, _ in a })
        for pipeline in try await store.pipelines(tenantId: area.tenant) {
            guard let read = try await store.load(pipeline: pipeline.pipelineId)?["files"]?.objectValue else { continue }
            for (name, now) in current {
                guard let fingerprint = read[root + name] else { continue }
                readers[name, default: []].append(["pipeline_id": .string(pipeline.pipelineId), "pipeline": .string(pipeline.name),
                                                   "changed_since": .bool(fingerprint.stringValue != now)])
            }
        }
        return files.map { file in
            guard case .object(var o) = file else { return file }
            o["read_by"] = .array(readers[o["path"]?.stringValue ?? ""] ?? [])
            return .object(o)
        }
    }

    func fileArea(_ context: OnrampRequestContext, roles: Set<Role>) async throws -> TenantFileArea {
        let tenant = try context.tenant(allowing: roles)
        guard try await store.tenant(id: tenant) != nil else { throw APIError.notFound("tenant \(tenant)") }
        return TenantFileArea(dataDirectory: dataDirectory, tenant: tenant)
    }

    func tooLarge() -> APIError {
        APIError(.contentTooLarge, "too_large",
                 "a file may have at most \(maxUploadBytes) bytes (the server's --max-upload-bytes)")
    }

    /// A name the files API may change: not inside `reference-tables/` (versions change only through their own API).
    static func writableFileName(_ context: OnrampRequestContext) throws -> String {
        let name = try fileName(context)
        if FileArea.isReserved(name) {
            throw APIError(.conflict, "file.reserved", "reference tables are uploaded through /reference-tables/{name}",
                           field: "path")
        }
        return name
    }

    /// The file name after the route's `files/`, percent-decoded (so `%2e%2e` is `..`, and refused).
    static func fileName(_ context: OnrampRequestContext) throws -> String {
        guard let raw = context.parameters[Parameters.recursiveCaptureKey],
              let name = String(raw).removingPercentEncoding else {
            throw APIError(.unprocessableContent, "file.path", "the file name is not valid percent-encoded UTF-8", field: "path")
        }
        return name
    }

    static func checked<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as OnrampError {
            throw e.code == "file.path" ? APIError.invalid(e) : APIError(.internalServerError, e.code, e.message)
        }
    }

    /// Streams the body into a new owner-only temporary file beside `target` and renames it into place;
    /// over the size limit or the tenant's quota (413), or on any error, the temporary file is removed and
    /// nothing is counted. The quota counts the bytes as they arrive, less the file replaced. Returns the size.
    func receive(_ body: RequestBody, into target: String, tenant: String) async throws -> Int64 {
        let temporary = PathText.parent(target) + "/.upload-\(UUID().uuidString.lowercased())"
        var reserved: Int64 = 0
        do {
            let size = try await Self.writeSynced(body, to: temporary) { buffer, before in
                let n = Int64(buffer.readableBytes)
                guard before + n <= maxUploadBytes else { throw tooLarge() }
                do { try quota.reserve(tenant, n) } catch let e as OnrampError {
                    // What the area holds besides this upload, and how far the upload got.
                    let held = quota.exceeded(tenant, used: quota.used(tenant) - before).message
                    throw APIError(.contentTooLarge, e.code, held + "; this upload passes it at \(before + n) bytes")
                }
                reserved += n
            }
            try quota.change(tenant) {
                var old = stat()
                let replaced = TenantFileArea.kind(target) == .file && lstat(target, &old) == 0 ? Int64(old.st_size) : 0
                guard rename(temporary, target) == 0 else { throw Self.ioError("cannot move the file into place") }
                return -replaced
            }
            return size
        } catch {
            unlink(temporary)
            quota.add(tenant, -reserved)
            throw error
        }
    }

    /// Streams `body` into a new owner-only file at `path` (never an existing file or a link), handing each piece and
    /// the bytes before it to `accept` first (it throws to refuse), then syncs and closes it: the size. On any error
    /// the file is removed.
    static func writeSynced(_ body: RequestBody, to path: String,
                            accept: (ByteBuffer, Int64) throws -> Void) async throws -> Int64 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ioError("cannot create a temporary file") }
        var isOpen = true
        defer { if isOpen { close(fd) } }
        var size: Int64 = 0
        do {
            for try await buffer in body {
                try accept(buffer, size)
                size += Int64(buffer.readableBytes)
                try writeAll(fd, buffer)
            }
            guard fsync(fd) == 0 else { throw ioError("cannot sync the file") }
            isOpen = false
            guard close(fd) == 0 else { throw ioError("cannot close the file") }
            return size
        } catch {
            unlink(path)
            throw error
        }
    }

    static func writeAll(_ fd: Int32, _ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { try writeAll(fd, $0) }
    }

    /// Writes all of `bytes` to `fd` (retrying short writes and EINTR).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ioError("cannot write the file") }
            offset += n
        }
    }

    static func send(_ path: String, to writer: inout any ResponseBodyWriter) async throws {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("cannot open the file") }
        defer { close(fd) }
        while true {
            var buffer = ByteBufferAllocator().buffer(capacity: 64 << 10)
            let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 << 10) {
                max(0, read(fd, $0.baseAddress, $0.count))
            }
            if n == 0 { break }
            try await writer.write(buffer)
        }
        try await writer.finish(nil)
    }

    static func ioError(_ what: String) -> APIError {
        APIError(.internalServerError, "file.io", "\(what): \(String(cString: strerror(errno)))")
    }

    static func fileValue(_ name: String, path: String) -> Value? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        let modified = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
        return ["path": .string(name), "size": .number(Double(st.st_size)), "modified_at": .string(ISOTime.string(modified))]
    }

    /// Regular files under `folder`, depth first in name order; links and dot names are skipped.
    /// Returns true when the listing stopped at `maxListedFiles`.
    static func listFiles(_ folder: String, _ relative: String, prefix: String, into files: inout [Value]) -> Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return false }
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = folder + "/" + name
            let child = relative.isEmpty ? name : relative + "/" + name
            switch TenantFileArea.kind(path) {
            case .directory?:
                if prefix.hasPrefix(child + "/") || child.hasPrefix(prefix) || prefix.isEmpty {
                    if listFiles(path, child, prefix: prefix, into: &files) { return true }
                }
            case .file?:
                guard child.hasPrefix(prefix), let value = fileValue(child, path: path) else { continue }
                guard files.count < maxListedFiles else { return true }
                files.append(value)
            default:
                continue
            }
        }
        return false
    }
}
