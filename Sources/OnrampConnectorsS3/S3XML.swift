import Foundation

/// A minimal reader for the few flat S3 XML answers this target needs (ListObjectsV2, errors,
/// multipart uploads): the text of named elements, entities decoded. Private stopgap: replace it with
/// the public XML tokenizer of OnrampFileFormats once that has landed on main.
enum S3XML {
    /// The inner text (raw, not decoded) of every `<name>` element in `xml`, in order; nesting of the
    /// same name is not supported (S3 answers never nest an element in itself).
    static func blocks(_ name: String, in xml: Substring) -> [Substring] {
        var out: [Substring] = []
        var rest = xml[...]
        let open = "<\(name)>", openWithAttributes = "<\(name) ", close = "</\(name)>"
        while let start = firstOpening(open, openWithAttributes, in: rest) {
            guard let tagEnd = rest[start...].firstIndex(of: ">") else { break }
            if rest[rest.index(before: tagEnd)] == "/" {
                out.append(rest[tagEnd..<tagEnd])
                rest = rest[rest.index(after: tagEnd)...]
                continue
            }
            let body = rest[rest.index(after: tagEnd)...]
            guard let end = body.range(of: close) else { break }
            out.append(body[..<end.lowerBound])
            rest = body[end.upperBound...]
        }
        return out
    }

    private static func firstOpening(_ a: String, _ b: String, in s: Substring) -> Substring.Index? {
        let x = s.range(of: a)?.lowerBound, y = s.range(of: b)?.lowerBound
        switch (x, y) {
        case let (x?, y?): return min(x, y)
        case let (x?, nil): return x
        case let (nil, y?): return y
        default: return nil
        }
    }

    /// The decoded text of the first `<name>` element, or nil.
    static func text(_ name: String, in xml: Substring) -> String? {
        blocks(name, in: xml).first.map(decode)
    }

    static func text(_ name: String, in xml: String) -> String? { text(name, in: xml[...]) }

    /// Decodes the five named entities, numeric character references and CDATA sections.
    static func decode(_ s: Substring) -> String {
        var s = s
        if s.hasPrefix("<![CDATA["), s.hasSuffix("]]>") { return String(s.dropFirst(9).dropLast(3)) }
        guard s.contains("&") else { return String(s) }
        var out = ""
        while let amp = s.firstIndex(of: "&") {
            out += s[..<amp]
            guard let semi = s[amp...].firstIndex(of: ";"), s.distance(from: amp, to: semi) <= 10 else {
                out.append("&")
                s = s[s.index(after: amp)...]
                continue
            }
            let entity = s[s.index(after: amp)..<semi]
            switch entity {
            case "amp": out.append("&")
            case "lt": out.append("<")
            case "gt": out.append(">")
            case "quot": out.append("\"")
            case "apos": out.append("'")
            default:
                let hex = entity.hasPrefix("#x") || entity.hasPrefix("#X")
                let digits = entity.dropFirst(hex ? 2 : 1)
                if entity.hasPrefix("#"), let n = UInt32(digits, radix: hex ? 16 : 10), let u = Unicode.Scalar(n) {
                    out.unicodeScalars.append(u)
                } else {
                    out += s[amp...semi]
                }
            }
            s = s[s.index(after: semi)...]
        }
        return out + s
    }

    /// Escapes text for an XML element body.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
