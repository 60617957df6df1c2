/// A unified diff of two texts by lines (`@@ -a,n +b,m @@` hunks with `context` lines around each change).
public enum LineDiff {
    /// Documents whose line counts multiply past this are summarised, not diffed (the table is quadratic).
    static let maxCells = 4_000_000

    public static func unified(_ before: String, _ after: String, context: Int = 3) -> [String] {
        let a = lines(before)
        let b = lines(after)
        guard a.count * b.count <= maxCells else {
            return ["(too large to diff: \(a.count) lines -> \(b.count) lines)"]
        }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        // Each line kept (" "), removed ("-") or added ("+"), with where it stands in `a` and `b`.
        var ops: [(Character, Substring, Int, Int)] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count && j < b.count && a[i] == b[j] {
                ops.append((" ", a[i], i, j))
                i += 1
                j += 1
            } else if i < a.count && (j == b.count || table[i + 1][j] >= table[i][j + 1]) {
                ops.append(("-", a[i], i, j))
                i += 1
            } else {
                ops.append(("+", b[j], i, j))
                j += 1
            }
        }
        var out: [String] = []
        var k = 0
        while k < ops.count {
            guard ops[k].0 != " " else {
                k += 1
                continue
            }
            let start = max(0, k - context)
            // The hunk goes on while the next change is within 2 * context unchanged lines of the last one.
            var last = k
            var scan = k + 1
            while scan < ops.count && scan - last <= 2 * context {
                if ops[scan].0 != " " { last = scan }
                scan += 1
            }
            let end = min(ops.count, last + context + 1)
            let hunk = ops[start..<end]
            let aStart = hunk.first!.2
            let bStart = hunk.first!.3
            let aCount = hunk.filter { $0.0 != "+" }.count
            let bCount = hunk.filter { $0.0 != "-" }.count
            out.append(
                "@@ -\(aCount == 0 ? aStart : aStart + 1),\(aCount) +\(bCount == 0 ? bStart : bStart + 1),\(bCount) @@")
            out += hunk.map { "\($0.0)\($0.1)" }
            k = end
        }
        return out
    }

    static func lines(_ text: String) -> [Substring] {
        guard !text.isEmpty else { return [] }
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false)
        if parts.last == "" { parts.removeLast() }
        return parts
    }
}
