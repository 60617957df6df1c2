/// Byte scanning, names, attributes and entity decoding for `XMLTokenizer`.
extension XMLTokenizer {
    /// A problem inside an attribute list, at buffer index `index`.
    struct Problem: Error {
        var code: String
        var message: String
        var index: Int
    }

    func find(_ byte: UInt8, from start: Int) -> Int? {
        buffer.withUnsafeBufferPointer { b in
            var i = start
            while i < b.count {
                if b[i] == byte { return i }
                i += 1
            }
            return nil
        }
    }

    /// The index of `pattern` at or after `start`; nil when more input is needed; at the end of input, an error.
    func find(_ pattern: StaticString, from start: Int, what: String) throws(Failure) -> Int? {
        let p = UnsafeBufferPointer(start: pattern.utf8Start, count: pattern.utf8CodeUnitCount)
        let found: Int? = buffer.withUnsafeBufferPointer { b in
            var i = start
            while i + p.count <= b.count {
                if b[i] == p[0] {
                    var k = 1
                    while k < p.count && b[i + k] == p[k] { k += 1 }
                    if k == p.count { return i }
                }
                i += 1
            }
            return nil
        }
        if found == nil && finished { throw failure("xml.eof", "the file ends inside a \(what)", at: pos, recoverable: false) }
        return found
    }

    func hasPrefix(_ prefix: StaticString, at start: Int) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard buffer.count - start >= n else { return false }
        for k in 0..<n where buffer[start + k] != prefix.utf8Start[k] { return false }
        return true
    }

    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D }

    func isWhitespace(_ start: Int, _ end: Int) -> Bool {
        for i in start..<end where !isSpace(buffer[i]) { return false }
        return true
    }

    private func isNameByte(_ b: UInt8, first: Bool) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"),
             UInt8(ascii: ":"), 0x80...: return true
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."): return !first
        default: return false
        }
    }

    /// The element name in `buffer[start..<end]`, checked.
    func name(_ start: Int, _ end: Int, tagAt tag: Int) throws(Failure) -> String {
        guard let n = checkedName(start, end) else {
            let shown = String(decoding: buffer[start..<min(end, start + 40)], as: UTF8.self)
            throw failure("xml.malformed", "'\(shown)' is not an element name", at: tag, recoverable: false)
        }
        return n
    }

    private func checkedName(_ start: Int, _ end: Int) -> String? {
        guard end > start, isNameByte(buffer[start], first: true) else { return nil }
        for i in (start + 1)..<end where !isNameByte(buffer[i], first: false) { return nil }
        return utf8String(start, end)
    }

    /// `buffer[start..<end]` as a String; nil when it is not valid UTF-8. ASCII takes the fast path.
    func utf8String(_ start: Int, _ end: Int) -> String? {
        buffer.withUnsafeBufferPointer { b in
            let slice = UnsafeBufferPointer(rebasing: b[start..<end])
            var ascii = true
            for byte in slice where byte >= 0x80 {
                ascii = false
                break
            }
            return ascii ? String(decoding: slice, as: UTF8.self) : String(validating: slice, as: UTF8.self)
        }
    }

    /// The end (`>`) of the start tag at `start`, skipping quoted attribute values; nil when more input is needed.
    func tagEnd(from start: Int) throws(Failure) -> Int? {
        var quote: UInt8 = 0
        var i = start + 1
        while i < buffer.count {
            let b = buffer[i]
            if quote != 0 {
                if b == quote { quote = 0 }
            } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                quote = b
            } else if b == UInt8(ascii: ">") {
                return i
            } else if b == UInt8(ascii: "<") {
                throw failure("xml.malformed", "'<' inside a tag", at: i, recoverable: false)
            }
            i += 1
        }
        if finished { throw failure("xml.eof", "the file ends inside a tag", at: start, recoverable: false) }
        return nil
    }

    /// The end (`>`) of the DOCTYPE at `start`. Refuses an internal subset that declares entities.
    func doctypeEnd(from start: Int) throws(Failure) -> Int? {
        if sawRoot {
            throw failure("xml.malformed", "DOCTYPE inside the document", at: start, recoverable: false)
        }
        var quote: UInt8 = 0
        var depth = 0
        var i = start + 9
        while i < buffer.count {
            let b = buffer[i]
            if quote != 0 {
                if b == quote { quote = 0 }
            } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                quote = b
            } else if b == UInt8(ascii: "[") {
                depth += 1
            } else if b == UInt8(ascii: "]") {
                depth -= 1
            } else if depth > 0 && b == UInt8(ascii: "<") && hasPrefix("<!ENTITY", at: i) {
                throw failure("xml.entity_declaration",
                              "the DOCTYPE declares entities; Onramp never expands user-defined or external entities",
                              at: i, recoverable: false)
            } else if depth == 0 && b == UInt8(ascii: ">") {
                return i
            }
            i += 1
        }
        if finished { throw failure("xml.eof", "the file ends inside the DOCTYPE", at: start, recoverable: false) }
        return nil
    }

    /// The attributes in `buffer[start..<end]` (after the element name, before `>` or `/>`).
    func attributes(from start: Int, to end: Int) -> Result<[Attribute], Problem> {
        var out: [Attribute] = []
        var i = start
        while true {
            while i < end, isSpace(buffer[i]) { i += 1 }
            if i == end { return .success(out) }
            let nameStart = i
            while i < end, buffer[i] != UInt8(ascii: "="), !isSpace(buffer[i]) { i += 1 }
            guard let name = checkedName(nameStart, i) else {
                return .failure(Problem(code: "xml.attribute", message: "malformed attribute", index: nameStart))
            }
            while i < end, isSpace(buffer[i]) { i += 1 }
            guard i < end, buffer[i] == UInt8(ascii: "=") else {
                return .failure(Problem(code: "xml.attribute", message: "attribute '\(name)' has no value", index: nameStart))
            }
            i += 1
            while i < end, isSpace(buffer[i]) { i += 1 }
            guard i < end, buffer[i] == UInt8(ascii: "\"") || buffer[i] == UInt8(ascii: "'") else {
                return .failure(Problem(code: "xml.attribute", message: "attribute '\(name)' value is not quoted", index: nameStart))
            }
            let quote = buffer[i]
            let valueStart = i + 1
            i = valueStart
            while i < end, buffer[i] != quote { i += 1 }
            guard i < end else {
                return .failure(Problem(code: "xml.attribute", message: "attribute '\(name)' value is not closed", index: nameStart))
            }
            let value: String
            switch decode(valueStart, i, attribute: true) {
            case .success(let v): value = v
            case .failure(let p): return .failure(p)
            }
            if out.contains(where: { $0.name == name }) {
                return .failure(Problem(code: "xml.attribute", message: "attribute '\(name)' appears twice", index: nameStart))
            }
            out.append(Attribute(name: name, value: value))
            i += 1
        }
    }

    /// Character data in `buffer[start..<end]`, entities decoded.
    func decodeText(_ start: Int, _ end: Int) throws(Failure) -> String {
        switch decode(start, end, attribute: false) {
        case .success(let s): return s
        case .failure(let p): throw failure(p.code, p.message, at: p.index, recoverable: true)
        }
    }

    /// Decodes entities and character references; attribute values also get whitespace normalised to spaces.
    private func decode(_ start: Int, _ end: Int, attribute: Bool) -> Result<String, Problem> {
        var plain = true
        for i in start..<end where buffer[i] == UInt8(ascii: "&") || buffer[i] == 0x0D || attribute && buffer[i] < 0x20 {
            plain = false
            break
        }
        if plain {
            guard let s = utf8String(start, end) else {
                return .failure(Problem(code: "xml.encoding", message: "invalid UTF-8", index: start))
            }
            return .success(s)
        }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var i = start
        while i < end {
            let b = buffer[i]
            if b == UInt8(ascii: "&") {
                var semi = i + 1
                while semi < min(end, i + 34), buffer[semi] != UInt8(ascii: ";") { semi += 1 }
                guard semi < min(end, i + 34) else {
                    return .failure(Problem(code: "xml.entity", message: "'&' that starts no entity reference (write &amp;)",
                                            index: i))
                }
                let ref = String(decoding: buffer[(i + 1)..<semi], as: UTF8.self)
                guard let scalar = Self.entity(ref) else {
                    return .failure(Problem(code: "xml.entity", message: "unknown entity '&\(ref);': only &lt; &gt; &amp; &quot; "
                                            + "&apos; and character references are expanded", index: i))
                }
                out.append(contentsOf: String(Character(scalar)).utf8)
                i = semi + 1
                continue
            }
            if b == 0x0D {
                out.append(attribute ? 0x20 : 0x0A)
                if i + 1 < end, buffer[i + 1] == 0x0A { i += 1 }
            } else if attribute && (b == 0x0A || b == 0x09) {
                out.append(0x20)
            } else {
                out.append(b)
            }
            i += 1
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            return .failure(Problem(code: "xml.encoding", message: "invalid UTF-8", index: start))
        }
        return .success(s)
    }

    /// A predefined entity or character reference (without `&` and `;`).
    static func entity(_ ref: String) -> Unicode.Scalar? {
        switch ref {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "quot": return "\""
        case "apos": return "'"
        default:
            guard ref.hasPrefix("#") else { return nil }
            let digits = ref.dropFirst()
            let code = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let code, code != 0, let scalar = Unicode.Scalar(code) else { return nil }
            return scalar
        }
    }

    /// The bytes with CR LF and lone CR turned into LF.
    func normalisingLineEnds(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        guard bytes.contains(0x0D) else { return Array(bytes) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var previousCR = false
        for b in bytes {
            if b == 0x0A && previousCR { previousCR = false; continue }
            previousCR = b == 0x0D
            out.append(previousCR ? 0x0A : b)
        }
        return out
    }
}
