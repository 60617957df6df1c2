import Yams

/// Where each key and value of a YAML (or JSON) document sits, by the field paths errors use (`steps[2].map`,
/// `source.config.path`): lines and columns from 1.
public struct SourceMap: Sendable {
    public struct Position: Sendable, Equatable, Codable {
        public var line: Int
        public var column: Int
        public init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }
    }

    /// How a scalar is written: where its text starts relative to its mark.
    enum Written: Sendable { case plain, quoted, block }

    struct Entry: Sendable {
        var key: Position?
        var value: Position
        var written: Written?
    }

    private var entries: [String: Entry] = [:]
    private let lines: [Substring]

    /// An empty map when the text does not parse (its parse error is reported on its own).
    public init(text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let node = try? Yams.compose(yaml: text) else { return }
        var budget = PipelineLoader.maxNodes
        record(node, path: "", key: nil, depth: 0, budget: &budget)
    }

    private mutating func record(_ node: Node, path: String, key: Position?, depth: Int, budget: inout Int) {
        budget -= 1
        guard budget >= 0, depth < PipelineLoader.maxNesting, let mark = node.mark else { return }
        var written: Written?
        if case .scalar(let s) = node {
            switch s.style {
            case .literal, .folded: written = .block
            case .singleQuoted, .doubleQuoted: written = .quoted
            default: written = .plain
            }
        }
        entries[path] = Entry(key: key, value: Position(line: mark.line, column: mark.column), written: written)
        switch node {
        case .mapping(let m):
            for (k, v) in m {
                guard case .scalar(let ks) = k else { continue }
                let keyPosition = k.mark.map { Position(line: $0.line, column: $0.column) }
                record(v, path: path.isEmpty ? ks.string : "\(path).\(ks.string)", key: keyPosition, depth: depth + 1,
                       budget: &budget)
            }
        case .sequence(let s):
            for (i, item) in s.enumerated() {
                record(item, path: "\(path)[\(i)]", key: nil, depth: depth + 1, budget: &budget)
            }
        default: break
        }
    }

    /// The position of the value at `path`, or of its key (`key: true`, for an unknown key); the nearest enclosing
    /// value's when the path itself is not in the document (a missing key: where it belongs).
    public func position(of path: String, key: Bool = false) -> Position? {
        var p = path
        while true {
            if let e = entries[p] { return key ? (e.key ?? e.value) : e.value }
            guard let cut = Self.parent(of: p) else { return nil }
            p = cut
        }
    }

    /// The position of character `offset` (in UTF-16 units, as JSONata counts) inside the string at `path`:
    /// for a block scalar (`|`, `>`), on the lines below its indicator; for a one-line scalar, along its line.
    public func position(of path: String, offset: Int) -> Position? {
        guard let e = entries[path], let written = e.written else { return position(of: path) }
        switch written {
        case .block:
            // The text starts on the line after the indicator, at that line's indentation.
            var remaining = max(0, offset)
            var line = e.value.line + 1
            while line <= lines.count {
                let text = lines[line - 1]
                let indent = text.prefix { $0 == " " }.count
                let length = text.utf16.count - indent
                if remaining <= length { return Position(line: line, column: indent + remaining + 1) }
                remaining -= length + 1
                line += 1
            }
            return e.value
        case .quoted:
            return Position(line: e.value.line, column: e.value.column + 1 + max(0, offset))
        case .plain:
            return Position(line: e.value.line, column: e.value.column + max(0, offset))
        }
    }

    /// `a.b[2]` → `a.b`, `a.b` → `a`, `a` → `` (the document), `` → nil.
    static func parent(of path: String) -> String? {
        guard !path.isEmpty else { return nil }
        if path.hasSuffix("]"), let open = path.lastIndex(of: "[") { return String(path[..<open]) }
        if let dot = path.lastIndex(of: ".") { return String(path[..<dot]) }
        return ""
    }
}
