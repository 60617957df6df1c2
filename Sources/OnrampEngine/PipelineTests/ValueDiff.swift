import OnrampCore

/// Comparing expected with actual records the way a test reads them: objects by their keys (in any order), lists in
/// order; differences as lines naming each path (`[1].lines[0].amount: - 12.5  + 12.51`).
enum ValueDiff {
    /// Lines a diff shows at most.
    static let maxLines = 60

    static func same(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { same(v, $0) } ?? false }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        default:
            return a == b
        }
    }

    /// Expected and actual record lists: the differing fields of each record, then the records one list lacks.
    static func records(expected: [Value], actual: [Value], into lines: inout [String]) {
        if expected.count != actual.count { lines.append("  expected \(expected.count) records, got \(actual.count)") }
        for (i, (e, a)) in zip(expected, actual).enumerated() { diff(e, a, path: "[\(i)]", into: &lines) }
        for i in actual.count..<max(expected.count, actual.count) {
            add("  - [\(i)] \(JSONWriter.string(expected[i]))", &lines)
        }
        for i in expected.count..<max(expected.count, actual.count) {
            add("  + [\(i)] \(JSONWriter.string(actual[i]))", &lines)
        }
    }

    static func diff(_ e: Value, _ a: Value, path: String, into lines: inout [String]) {
        switch (e, a) {
        case (.object(let x), .object(let y)):
            for (k, v) in x {
                if let w = y[k] { diff(v, w, path: "\(path).\(k)", into: &lines) } else {
                    add("  \(path).\(k): - \(JSONWriter.string(v))  + (missing)", &lines)
                }
            }
            for (k, w) in y where x[k] == nil { add("  \(path).\(k): - (missing)  + \(JSONWriter.string(w))", &lines) }
        case (.array(let x), .array(let y)) where x.count == y.count:
            for (i, (v, w)) in zip(x, y).enumerated() { diff(v, w, path: "\(path)[\(i)]", into: &lines) }
        default:
            if !same(e, a) { add("  \(path): - \(JSONWriter.string(e))  + \(JSONWriter.string(a))", &lines) }
        }
    }

    /// What `expected` names that `actual` lacks or holds otherwise; keys `expected` does not name are not compared.
    static func subset(_ expected: Value, of actual: Value, path: String, into lines: inout [String]) {
        if case .object(let x) = expected, case .object(let y) = actual {
            for (k, v) in x {
                if let w = y[k] { subset(v, of: w, path: "\(path).\(k)", into: &lines) } else {
                    add("  \(path).\(k): - \(JSONWriter.string(v))  + (missing)", &lines)
                }
            }
        } else if case .array(let x) = expected, case .array(let y) = actual, x.count == y.count {
            for (i, (v, w)) in zip(x, y).enumerated() { subset(v, of: w, path: "\(path)[\(i)]", into: &lines) }
        } else if !same(expected, actual) {
            add("  \(path): - \(JSONWriter.string(expected))  + \(JSONWriter.string(actual))", &lines)
        }
    }

    private static func add(_ line: String, _ lines: inout [String]) {
        if lines.count < maxLines {
            lines.append(line)
        } else if lines.count == maxLines {
            lines.append("  … (more differences)")
        }
    }
}
