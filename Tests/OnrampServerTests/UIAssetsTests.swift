import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import OnrampServer
import Testing

/// The web UI's serving: hashed asset URLs in index.html, caching headers, the CSP, and 404s for anything else.
@Suite struct UIAssetsTests {
    static let csp = HTTPField.Name("Content-Security-Policy")!

    static func text(_ r: TestResponse) -> String { String(buffer: r.body) }

    @Test func indexNamesHashedAssetsThatAreServedImmutableWithTheirTypes() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let hash = f.api.uiAssets.hash
        #expect(hash.count == 12)
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            for path in ["/", "/index.html"] {
                let index = try await client.execute(uri: path, method: .get)
                #expect(index.status == .ok)
                #expect(index.headers[.contentType] == "text/html; charset=utf-8")
                #expect(index.headers[.cacheControl] == "no-cache")
                let policy = try #require(index.headers[Self.csp])
                #expect(policy.contains("script-src 'self'") && policy.contains("style-src 'self'"))
                let html = Self.text(index)
                #expect(html.contains("src=\"/ui/\(hash)/js/app.js\"") && html.contains("href=\"/ui/\(hash)/css/app.css\""))
                #expect(!html.contains("src=\"js/") && !html.contains("<script>") && !html.contains("style="))
            }
            let expected = [("js/app.js", "text/javascript; charset=utf-8"), ("js/api.js", "text/javascript; charset=utf-8"),
                            ("css/app.css", "text/css; charset=utf-8"), ("favicon.svg", "image/svg+xml")]
            for (path, type) in expected {
                let r = try await client.execute(uri: "/ui/\(hash)/\(path)", method: .get)
                #expect(r.status == .ok, "\(path)")
                #expect(r.headers[.contentType] == type)
                #expect(r.headers[.cacheControl] == "public, max-age=31536000, immutable")
                #expect(r.body.readableBytes > 0)
            }
            let js = Self.text(try await client.execute(uri: "/ui/\(hash)/js/app.js", method: .get))
            #expect(js.contains("import { api"))
        }
    }

    @Test func unknownHashesPathsAndTraversalAre404InTheErrorEnvelope() async throws {
        let f = try await APITests.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let hash = f.api.uiAssets.hash
        try await Application(router: Conformance(f.api.buildRouter())).test(.router) { client in
            let uris = ["/ui/000000000000/js/app.js", "/ui/\(hash)/js/nope.js", "/ui/\(hash)/../Package.swift",
                        "/ui/\(hash)/../../Package.swift", "/ui/\(hash)/%2e%2e/Package.swift",
                        "/ui/\(hash)/%2e%2e%2f%2e%2e%2fPackage.swift", "/ui/\(hash)/..%2fUIAssets.swift",
                        "/ui/../Package.swift", "/ui/\(hash)/index.html", "/ui/\(hash)/", "/ui/\(hash)//etc/passwd",
                        "/ui/\(hash)/js/../../UIAssets.swift", "/ui/\(hash)/%2fetc%2fpasswd"]
            for uri in uris {
                let r = try await client.execute(uri: uri, method: .get)
                #expect(r.status == .notFound, "\(uri)")
                #expect(!Self.text(r).contains("import PackageDescription") && !Self.text(r).contains("struct UIAssets"), "\(uri)")
                if r.status == .notFound {
                    #expect(Self.text(r).contains("\"error\""), "\(uri)")
                }
            }
        }
    }

    @Test func theHashFollowsTheFilesAndOnlyRelativeURLsAreRewritten() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-ui-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("js"), withIntermediateDirectories: true)
        let html = ##"<link href="a.css"><script src="js/x.js"></script><a href="#/x">x</a><a href="https://e.x/">e</a>"##
        try html.write(to: dir.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try "export const x = 1;".write(to: dir.appendingPathComponent("js/x.js"), atomically: true, encoding: .utf8)
        let first = UIAssets(directory: dir)
        #expect(first.hash == UIAssets(directory: dir).hash)
        let index = String(buffer: first.index)
        #expect(index.contains(#"href="/ui/\#(first.hash)/a.css""#) && index.contains(#"src="/ui/\#(first.hash)/js/x.js""#))
        #expect(index.contains(##"href="#/x""##) && index.contains(##"href="https://e.x/""##))
        #expect(first.assets["js/x.js"] != nil && first.assets["index.html"] == nil)
        try "export const x = 2;".write(to: dir.appendingPathComponent("js/x.js"), atomically: true, encoding: .utf8)
        #expect(UIAssets(directory: dir).hash != first.hash)
    }
}
