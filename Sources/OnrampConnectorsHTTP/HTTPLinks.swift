import Foundation

/// URL helpers for pagination: `Link` headers (RFC 8288), relative references, same-origin checks.
enum HTTPLinks {
    /// The target of the `rel="next"` link in a `Link` header value, if any.
    static func next(inLinkHeader header: String) -> String? {
        var rest = Substring(header)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { return nil }
            let target = String(rest[rest.index(after: open)..<close])
            let afterTarget = rest[rest.index(after: close)...]
            let paramsEnd = afterTarget.firstIndex(of: "<") ?? afterTarget.endIndex
            let params = afterTarget[..<paramsEnd]
            for param in params.split(separator: ";") {
                let pair = param.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2, pair[0].lowercased() == "rel" else { continue }
                let rels = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\",")).lowercased()
                if rels.split(separator: " ").contains("next") { return target }
            }
            rest = afterTarget[paramsEnd...]
        }
        return nil
    }

    /// `reference` resolved against `base` (RFC 3986), or nil when it is not a URL.
    static func resolve(_ reference: String, against base: String) -> String? {
        if reference.hasPrefix("http://") || reference.hasPrefix("https://") { return reference }
        guard let b = URL(string: base), let u = URL(string: reference, relativeTo: b) else { return nil }
        return u.absoluteString
    }

    /// Whether two URLs share scheme, host and port (credentials are sent only to the configured origin).
    static func sameOrigin(_ a: String, _ b: String) -> Bool {
        guard let x = URLComponents(string: a), let y = URLComponents(string: b) else { return false }
        func port(_ c: URLComponents) -> Int? { c.port ?? (c.scheme?.lowercased() == "https" ? 443 : 80) }
        return x.scheme?.lowercased() == y.scheme?.lowercased() && x.host?.lowercased() == y.host?.lowercased()
            && port(x) == port(y)
    }

    /// `url` with `params` appended to its query, percent-encoded.
    static func adding(_ params: [(String, String)], to url: String) -> String {
        guard !params.isEmpty else { return url }
        let query = params.map { HTTPTemplate.percentEncode($0.0) + "=" + HTTPTemplate.percentEncode($0.1) }
            .joined(separator: "&")
        return url + (url.contains("?") ? "&" : "?") + query
    }
}
