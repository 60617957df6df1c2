import Foundation
import OnrampCore

/// Runs the JSONata conformance suite (the reference implementation's language-neutral cases)
/// with the rules of its runner: one outcome per case, deep equality ignoring object key order.
public struct ConformanceSuite: Sendable {
    public struct Outcome: Sendable {
        public let name: String
        public let group: String
        public let passed: Bool
        public let detail: String
    }

    public let root: URL

    public init(root: URL) { self.root = root }

    public func run(filter: (String) -> Bool = { _ in true }) throws -> [Outcome] {
        let fm = FileManager.default
        let groupsDir = root.appendingPathComponent("groups")
        var datasets: [String: Value] = [:]
        for file in try fm.contentsOfDirectory(atPath: root.appendingPathComponent("datasets").path) where file.hasSuffix(".json") {
            let data = try Data(contentsOf: root.appendingPathComponent("datasets").appendingPathComponent(file))
            datasets[String(file.dropLast(5))] = try JSONParser.parse([UInt8](data))
        }
        var outcomes: [Outcome] = []
        for group in try fm.contentsOfDirectory(atPath: groupsDir.path).sorted() {
            let dir = groupsDir.appendingPathComponent(group)
            for file in try fm.contentsOfDirectory(atPath: dir.path).sorted() where file.hasSuffix(".json") {
                let parsed = try JSONParser.parse([UInt8](Data(contentsOf: dir.appendingPathComponent(file))))
                let cases: [(String, Value)]
                if case .array(let arr) = parsed {
                    cases = arr.enumerated().map { ("\(group)/\(file)_\($0.offset)", $0.element) }
                } else {
                    cases = [("\(group)/\(String(file.dropLast(5)))", parsed)]
                }
                for (name, c) in cases where filter(name) {
                    outcomes.append(runCase(name: name, group: group, c, dir: dir, datasets: datasets))
                }
            }
        }
        return outcomes
    }

    func runCase(name: String, group: String, _ c: Value, dir: URL, datasets: [String: Value]) -> Outcome {
        func outcome(_ ok: Bool, _ detail: String = "") -> Outcome { Outcome(name: name, group: group, passed: ok, detail: detail) }
        var source = c["expr"]?.stringValue
        if source == nil, let f = c["expr-file"]?.stringValue {
            source = try? String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
        }
        guard let source else { return outcome(false, "no expression") }
        var input: Value?
        if let d = c["data"] {
            input = d
        } else if let ds = c["dataset"]?.stringValue {
            input = datasets[ds]
        }
        var bindings: [String: Value] = [:]
        if case .object(let b) = c["bindings"] { for (k, v) in b { bindings[k] = v } }
        var limits = JSONata.Limits(maxDepth: 10_000, timeout: .seconds(10))
        if let depth = c["depth"]?.numberValue { limits.maxDepth = Int(depth) }
        if let ms = c["timelimit"]?.numberValue { limits.timeout = .milliseconds(Int(ms)) }
        let expectedCode = c["code"]?.stringValue ?? c["error"]?["code"]?.stringValue
        do {
            let expr = try JSONata(source)
            let result = try expr.evaluate(input, bindings: bindings, limits: limits)
            if let expectedCode { return outcome(false, "expected error \(expectedCode), got \(result.map { JSONWriter.string($0) } ?? "undefined")") }
            if c["undefinedResult"]?.boolValue == true {
                return outcome(result == nil, "expected undefined, got \(result.map { JSONWriter.string($0) } ?? "undefined")")
            }
            guard let expected = c["result"] else { return outcome(false, "case has no outcome") }
            let ok = result.map { ConformanceSuite.equal($0, expected, unordered: c["unordered"]?.boolValue == true) } ?? false
            return outcome(ok, ok ? "" : "expected \(JSONWriter.string(expected)), got \(result.map { JSONWriter.string($0) } ?? "undefined")")
        } catch {
            let code = error.code
            guard let expectedCode else { return outcome(false, "unexpected error \(code): \(error.message)") }
            if code != expectedCode { return outcome(false, "expected error \(expectedCode), got \(code): \(error.message)") }
            if let msg = c["error"]?["message"]?.stringValue, msg != error.message {
                return outcome(false, "expected message \(msg), got \(error.message)")
            }
            return outcome(true)
        }
    }

    static func equal(_ a: Value, _ b: Value, unordered: Bool) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            return x.allSatisfy { k, v in y[k].map { equal(v, $0, unordered: unordered) } ?? false }
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return false }
            if unordered {
                var remaining = y
                for v in x {
                    guard let i = remaining.firstIndex(where: { equal(v, $0, unordered: true) }) else { return false }
                    remaining.remove(at: i)
                }
                return true
            }
            return zip(x, y).allSatisfy { equal($0, $1, unordered: unordered) }
        default:
            return a == b
        }
    }
}
