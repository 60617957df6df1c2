/// A streaming XML pull tokenizer over UTF-8 bytes fed in chunks: `feed` bytes, then `next()` events until it
/// answers nil (it needs more input, or after `finish()`, the document ended). Memory stays flat: it holds one
/// token at a time (at most `maxTokenBytes`). Well-formedness is checked as it goes: tags nest and match, one
/// root element, names, attribute syntax, entities. Only the five predefined entities and character references
/// are expanded; a DOCTYPE whose internal subset declares entities is refused (billion laughs, XXE), and nothing
/// external is ever fetched. Comments, processing instructions and the XML declaration produce no event.
public struct XMLTokenizer: Sendable {
    public enum Event: Sendable, Equatable {
        /// A start tag; an empty-element tag (`<a/>`) gives `start` then `end`.
        case start(name: String, attributes: [Attribute])
        case end(name: String)
        /// Character data or a CDATA section, entities decoded and line ends normalised to "\n".
        case text(String)
    }

    public struct Attribute: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Malformed input at `line`/`column` (1-based; the column counts bytes). `recoverable`: the tokenizer consumed
    /// the bad token and its element stack is intact (a bad entity, invalid UTF-8, a duplicate attribute), so
    /// reading can go on; otherwise every later `next()` throws the same failure.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var code: String
        public var message: String
        public var line: Int
        public var column: Int
        public var recoverable: Bool

        public var description: String { "\(message) (line \(line), column \(column))" }
    }

    public let maxDepth: Int
    public let maxTokenBytes: Int
    /// Line and column of the next unread byte.
    public private(set) var line = 1
    public private(set) var column = 1
    /// Bytes consumed so far.
    public private(set) var offset: Int64 = 0
    /// Open elements, outermost first.
    public private(set) var openElements: [String] = []

    var buffer: [UInt8] = []
    var pos = 0
    var finished = false
    var sawRoot = false
    private var pendingEnd: String?
    private var fatal: Failure?
    private var bomChecked = false

    public init(maxDepth: Int = 200, maxTokenBytes: Int = 16 << 20) {
        self.maxDepth = maxDepth
        self.maxTokenBytes = maxTokenBytes
    }

    /// Appends input; a UTF-8 byte order mark at the very start is skipped.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        if pos > 0 {
            buffer.removeSubrange(0..<pos)
            pos = 0
        }
        buffer.append(contentsOf: bytes)
        if !bomChecked && (offset > 0 || buffer.count >= 3) {
            bomChecked = true
            if offset == 0 && buffer.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
        }
    }

    /// Marks the end of input: `next()` then reports what is left and any element still open.
    public mutating func finish() { finished = true }

    /// Whether `next()` answered nil because it needs more input (as opposed to the end of the document).
    public var needsInput: Bool { !finished && fatal == nil }

    /// The next event; nil when more input is needed or, after `finish()`, at the end of the document.
    public mutating func next() throws(Failure) -> Event? {
        if let fatal { throw fatal }
        do {
            return try step()
        } catch {
            if !error.recoverable { fatal = error }
            throw error
        }
    }

    private mutating func step() throws(Failure) -> Event? {
        if let name = pendingEnd {
            pendingEnd = nil
            return close(name)
        }
        while true {
            guard pos < buffer.count else {
                guard finished else { return nil }
                if let open = openElements.last {
                    throw failure("xml.eof", "the file ends inside <\(open)>", at: pos, recoverable: false)
                }
                if !sawRoot { throw failure("xml.no_root", "no root element", at: pos, recoverable: false) }
                return nil
            }
            if buffer[pos] != UInt8(ascii: "<") {
                guard let end = find(UInt8(ascii: "<"), from: pos) ?? (finished ? buffer.count : nil) else {
                    try checkTokenSize()
                    return nil
                }
                let start = pos
                try checkTokenSize(end)
                if openElements.isEmpty {
                    guard isWhitespace(start, end) else {
                        throw failure("xml.malformed", "text outside the root element", at: start, recoverable: false)
                    }
                    consume(to: end)
                    continue
                }
                defer { consume(to: end) }
                return .text(try decodeText(start, end))
            }
            let before = pos
            guard let event = try markup() else {
                if pos != before { continue }  // markup without an event (comment, PI, DOCTYPE) was consumed
                try checkTokenSize()
                return nil
            }
            return event
        }
    }

    /// The markup at `pos` (`<`...): an event, or nil after consuming a comment/PI/DOCTYPE, or nil with nothing
    /// consumed when the token is not complete yet.
    private mutating func markup() throws(Failure) -> Event? {
        let start = pos
        guard buffer.count - start >= 2 || finished else { return nil }
        guard buffer.count - start >= 2 else {
            throw failure("xml.eof", "the file ends inside a tag", at: start, recoverable: false)
        }
        switch buffer[start + 1] {
        case UInt8(ascii: "?"):
            guard let end = try find("?>", from: start + 2, what: "processing instruction") else { return nil }
            try checkTokenSize(end + 2)
            consume(to: end + 2)
            return nil
        case UInt8(ascii: "!"):
            if hasPrefix("<!--", at: start) {
                guard let end = try find("-->", from: start + 4, what: "comment") else { return nil }
                try checkTokenSize(end + 3)
                consume(to: end + 3)
                return nil
            }
            if hasPrefix("<![CDATA[", at: start) {
                guard let end = try find("]]>", from: start + 9, what: "CDATA section") else { return nil }
                try checkTokenSize(end + 3)
                guard !openElements.isEmpty else {
                    throw failure("xml.malformed", "CDATA outside the root element", at: start, recoverable: false)
                }
                defer { consume(to: end + 3) }
                guard let text = String(validating: normalisingLineEnds(buffer[(start + 9)..<end]), as: UTF8.self) else {
                    throw failure("xml.encoding", "invalid UTF-8 in a CDATA section", at: start, recoverable: true)
                }
                return .text(text)
            }
            if hasPrefix("<!DOCTYPE", at: start) {
                guard let end = try doctypeEnd(from: start) else { return nil }
                try checkTokenSize(end + 1)
                consume(to: end + 1)
                return nil
            }
            if buffer.count - start < 9 && !finished { return nil }
            throw failure("xml.malformed", "unknown markup after '<!'", at: start, recoverable: false)
        case UInt8(ascii: "/"):
            guard let end = find(UInt8(ascii: ">"), from: start + 2) else {
                if finished { throw failure("xml.eof", "the file ends inside an end tag", at: start, recoverable: false) }
                return nil
            }
            try checkTokenSize(end + 1)
            var nameEnd = end
            while nameEnd > start + 2, isSpace(buffer[nameEnd - 1]) { nameEnd -= 1 }
            let name = try self.name(start + 2, nameEnd, tagAt: start)
            guard let open = openElements.last else {
                throw failure("xml.malformed", "end tag </\(name)> without a start tag", at: start, recoverable: false)
            }
            guard open == name else {
                throw failure("xml.mismatched", "end tag </\(name)> does not match <\(open)>", at: start, recoverable: false)
            }
            consume(to: end + 1)
            return close(name)
        default:
            guard let end = try tagEnd(from: start) else { return nil }
            try checkTokenSize(end + 1)
            return try startTag(start, end)
        }
    }

    /// Parses the start tag `buffer[start...end]` (end at its `>`), consumes it and opens the element.
    private mutating func startTag(_ start: Int, _ end: Int) throws(Failure) -> Event {
        let selfClosing = buffer[end - 1] == UInt8(ascii: "/") && end - 1 > start
        let contentEnd = selfClosing ? end - 1 : end
        var i = start + 1
        while i < contentEnd, !isSpace(buffer[i]) { i += 1 }
        let name = try self.name(start + 1, i, tagAt: start)
        guard !(openElements.isEmpty && sawRoot) else {
            throw failure("xml.malformed", "a second root element <\(name)>", at: start, recoverable: false)
        }
        guard openElements.count < maxDepth else {
            throw failure("xml.too_deep", "elements nest deeper than \(maxDepth) levels", at: start, recoverable: false)
        }
        let parsed = attributes(from: i, to: contentEnd)
        var problem: Failure?
        if case .failure(let p) = parsed { problem = failure(p.code, p.message, at: p.index, recoverable: true) }
        consume(to: end + 1)
        openElements.append(name)
        sawRoot = true
        if selfClosing { pendingEnd = name }
        if let problem { throw problem }
        return .start(name: name, attributes: (try? parsed.get()) ?? [])
    }

    private mutating func close(_ name: String) -> Event {
        openElements.removeLast()
        return .end(name: name)
    }

    /// Fails when the token from `pos` to `end` (the buffer's end while the token is incomplete) is too large.
    private func checkTokenSize(_ end: Int? = nil) throws(Failure) {
        if (end ?? buffer.count) - pos > maxTokenBytes {
            throw failure("xml.token_too_large", "one tag or text run is larger than \(maxTokenBytes) bytes",
                          at: pos, recoverable: false)
        }
    }

    /// Consumes `buffer[pos..<end]`, counting lines.
    mutating func consume(to end: Int) {
        var l = line, c = column
        let from = pos
        buffer.withUnsafeBufferPointer { b in
            for i in from..<end {
                if b[i] == 0x0A {
                    l += 1
                    c = 1
                } else {
                    c += 1
                }
            }
        }
        line = l
        column = c
        offset += Int64(end - pos)
        pos = end
    }

    /// A failure at buffer index `index` (before `pos` when the token was already consumed).
    /// A failure at buffer index `index` (at or after `pos`: the token is not consumed yet).
    func failure(_ code: String, _ message: String, at index: Int, recoverable: Bool) -> Failure {
        var l = line, c = column
        for i in pos..<min(max(index, pos), buffer.count) {
            if buffer[i] == 0x0A { l += 1; c = 1 } else { c += 1 }
        }
        return Failure(code: code, message: message, line: l, column: c, recoverable: recoverable)
    }
}
