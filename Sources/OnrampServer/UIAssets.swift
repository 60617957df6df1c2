import Crypto
import Foundation
import Hummingbird
import NIOCore

/// The web UI's files, read once at start: `GET /` answers index.html (no-cache) with its asset URLs rewritten to
/// `/ui/<hash>/…`, and `GET /ui/<hash>/<path>` answers an asset cached for a year; anything else under `/ui` is 404.
/// Only the files read at start can be answered, so no request path can reach outside the UI folder.
public struct UIAssets: Sendable {
    public struct Asset: Sendable {
        let contentType: String
        let bytes: ByteBuffer
    }

    /// A short SHA-256 of every asset's path and bytes: it changes whenever any file does.
    public let hash: String
    let assets: [String: Asset]
    let index: ByteBuffer

    /// The folder shipped with this binary, read on first use.
    public static let installed = UIAssets()
    static let maxFiles = 500
    static let maxBytes = 8 << 20

    /// The assets under `directory`; with no directory, the folder shipped beside the binary (or the sources').
    public init(directory: URL? = nil) {
        let root = directory ?? Self.locate()
        var files: [(String, Data)] = []
        if let root, let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey],
                                                                   options: [.skipsHiddenFiles]) {
            var total = 0
            for case let url as URL in walker {
                guard files.count < Self.maxFiles else { break }
                // The size is read before the file: one too large for what is left is never read.
                guard let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey]), values.isRegularFile == true,
                      total + (values.fileSize ?? 0) <= Self.maxBytes, let data = try? Data(contentsOf: url),
                      total + data.count <= Self.maxBytes else { continue }
                total += data.count
                let relative = url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count)
                files.append((relative.hasPrefix("/") ? String(relative.dropFirst()) : String(relative), data))
            }
        }
        files.sort { $0.0 < $1.0 }
        var hasher = SHA256()
        for (path, data) in files {
            hasher.update(data: Data(path.utf8))
            hasher.update(data: Data([0]))
            hasher.update(data: data)
        }
        hash = hasher.finalize().prefix(6).map { String(format: "%02x", $0) }.joined()
        var assets: [String: Asset] = [:]
        for (path, data) in files where path != "index.html" {
            assets[path] = Asset(contentType: Self.contentType(path), bytes: ByteBuffer(bytes: data))
        }
        self.assets = assets
        let html = files.first { $0.0 == "index.html" }.map { String(decoding: $0.1, as: UTF8.self) }
            ?? "<!doctype html><title>Onramp</title><p>The web UI is not installed with this binary.</p>"
        index = ByteBuffer(string: Self.rewrite(html, hash: hash))
    }

    /// `href="x"` and `src="x"` with a relative `x` become `/ui/<hash>/x`.
    static func rewrite(_ html: String, hash: String) -> String {
        var out = html
        for attribute in ["href=\"", "src=\""] {
            var pieces = out.components(separatedBy: attribute)
            for i in pieces.indices.dropFirst() {
                let piece = pieces[i]
                let url = piece.prefix { $0 != "\"" }
                let relative = !(url.hasPrefix("/") || url.hasPrefix("#") || url.contains(":"))
                if relative { pieces[i] = "/ui/\(hash)/" + piece }
            }
            out = pieces.joined(separator: attribute)
        }
        return out
    }

    static func contentType(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "html": return "text/html; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "ico": return "image/x-icon"
        case "json": return "application/json"
        case "txt", "md": return "text/plain; charset=utf-8"
        default: return "application/octet-stream"
        }
    }

    /// The installed resource bundle's UI folder, else the source tree's (a development checkout).
    static func locate() -> URL? {
        let bundleName = "Onramp_OnrampServer.resources"
        var candidates: [URL] = []
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            candidates.append(exe.appendingPathComponent(bundleName).appendingPathComponent("UI"))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent(bundleName).appendingPathComponent("UI"))
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("UI"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("index.html").path) }
    }

    func indexResponse() -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                 body: .init(byteBuffer: index))
    }

    func assetResponse(hash requested: String, path: String) throws -> Response {
        guard requested == hash, let asset = assets[path] else { throw APIError.notFound("UI asset") }
        return Response(status: .ok, headers: [.contentType: asset.contentType,
                                               .cacheControl: "public, max-age=31536000, immutable"],
                        body: .init(byteBuffer: asset.bytes))
    }
}

extension OnrampAPI {
    /// `/`, `/index.html` and `/ui/<hash>/…`: public, outside `/api/v1`.
    func addUIRoutes(_ router: Router<OnrampRequestContext>) {
        let ui = uiAssets
        router.get("/") { _, _ in ui.indexResponse() }
        router.get("/index.html") { _, _ in ui.indexResponse() }
        router.get("/ui/:hash/**") { _, context in
            try ui.assetResponse(hash: context.parameters.get("hash") ?? "", path: context.parameters.getCatchAll().joined(separator: "/"))
        }
    }
}
