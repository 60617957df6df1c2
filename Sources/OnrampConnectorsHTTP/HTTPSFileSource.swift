import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OnrampConnectorKit
import OnrampCore
import OnrampFileFormats
import OnrampHTTPSupport

/// `https_file`: files downloaded over HTTP(S) (one URL or a list) in one file format. Each download
/// streams to a scratch file (at most `max_bytes`) and is parsed there; redirects are not followed and
/// every URL passes the egress check. Incremental `changed`: a file is read again only when its ETag
/// (`If-None-Match`) or Last-Modified (`If-Modified-Since`) changed.
struct HTTPSFileSource: Source {
    struct Header: Decodable, Sendable {
        var name: String
        var value: String?
        var secretValue: String?
    }

    struct Config: Decodable {
        var url: String?
        var urls: [String]?
        var headers: [Header]?
        var format: String
        var maxBytes: Int64
        var timeoutSeconds: Double
    }

    /// A URL with the config field that names it.
    struct Target: Sendable {
        var url: String
        var field: String
    }

    let targets: [Target]
    let headers: [(String, String)]
    let format: FileFormat
    let incremental: Bool
    let maxBytes: Int64
    let timeout: TimeAmount
    let client: HTTPClient
    let egress: EgressPolicy

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        HTTPSFileReader(source: self, pending: targets, batchSize: batchSize,
                        checkpoint: incremental ? (checkpoint ?? ["urls": [:]]) : nil)
    }

    func check() async throws -> ConnectorCheck {
        for t in targets {
            let answer = try await fetch(t, conditional: nil, method: .HEAD, to: nil)
            if case .missing = answer { throw OnrampError("https_file.not_found", "\(t.url) answered HTTP 404", at: t.field) }
        }
        return ConnectorCheck(message: "\(targets.count) URL\(targets.count == 1 ? "" : "s") reachable")
    }

    func discover() async throws -> [DiscoveredStream] {
        try await DiscoveredStream.infer(from: self, name: targets.first?.url ?? "", kind: .file)
    }

    enum Answer: Sendable {
        case downloaded(etag: String?, lastModified: String?)
        case unchanged
        case missing
    }

    /// GETs `target` into `path` (or HEADs it), sending the conditional headers of a prior read.
    func fetch(_ target: Target, conditional: (etag: String?, lastModified: String?)?, method: HTTPMethod = .GET,
               to path: String?) async throws -> Answer {
        try await egress.check(url: target.url, field: target.field)
        var request = HTTPClientRequest(url: target.url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let etag = conditional?.etag { request.headers.add(name: "If-None-Match", value: etag) }
        if let modified = conditional?.lastModified, conditional?.etag == nil {
            request.headers.add(name: "If-Modified-Since", value: modified)
        }
        let response: HTTPClientResponse
        let end = HTTPDeadline.end(after: timeout)
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch let e as HTTPClientError where e == .deadlineExceeded {
            // The deadline passed before the head arrived (a slow connect or server): the same timeout as a slow body.
            let exceeded = HTTPDeadline.Exceeded(timeout: .nanoseconds(timeout.nanoseconds))
            throw OnrampError("https_file.timeout", "cannot download \(target.url): \(exceeded)", at: "source.config.timeout_seconds")
        } catch {
            throw OnrampError("https_file.connect", "cannot download \(target.url): \(error)", at: target.field)
        }
        let status = Int(response.status.code)
        switch status {
        case 200..<300: break
        case 304: return .unchanged
        case 404, 410: return .missing
        case 300..<400:
            let location = response.headers.first(name: "Location").map { " to \($0)" } ?? ""
            throw OnrampError("https_file.redirect", "\(target.url) redirects (HTTP \(status))\(location); redirects are "
                              + "not followed: give the final URL", at: target.field)
        case 401, 403:
            throw OnrampError("https_file.unauthorized", "\(target.url) refused access (HTTP \(status)): check the headers",
                              at: "source.config.headers")
        default:
            throw OnrampError("https_file.http", "\(target.url) answered HTTP \(status)", at: target.field)
        }
        if let path {
            // The whole download, not only its head, must arrive within the timeout: a trickling body is cut off.
            do {
                try await HTTPDeadline.run(by: end, timeout: timeout) { try await save(response, to: path, target: target) }
            } catch let e as HTTPDeadline.Exceeded {
                throw OnrampError("https_file.timeout", "cannot download \(target.url): \(e)", at: "source.config.timeout_seconds")
            }
        }
        return .downloaded(etag: response.headers.first(name: "ETag"),
                           lastModified: response.headers.first(name: "Last-Modified"))
    }

    private func save(_ response: HTTPClientResponse, to path: String, target: Target) async throws {
        if let length = response.headers.first(name: "Content-Length").flatMap(Int64.init), length > maxBytes {
            throw OnrampError("https_file.too_large", "\(target.url) is \(length) bytes, more than max_bytes (\(maxBytes))",
                              at: "source.config.max_bytes")
        }
        _ = try await ResponseDownload.save(
            response.body, to: path, maxBytes: maxBytes,
            cannotCreate: OnrampError("https_file.scratch", "cannot create a temporary file for \(target.url)"),
            tooLarge: OnrampError("https_file.too_large", "\(target.url) is more than max_bytes (\(maxBytes))",
                                  at: "source.config.max_bytes"))
    }
}
