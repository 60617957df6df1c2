import OnrampCore
import OnrampExpression
import OnrampTransforms

extension PipelineTestExpectation {
    /// Why `outcome` does not meet this expectation, one readable block per reason; empty when it does.
    func failures(of outcome: PipelineTestRunner.Outcome) -> [String] {
        var out: [String] = []
        let records = outcome.output.map(\.value)
        if let output, !ValueDiff.same(.array(output), .array(records)) {
            var lines: [String] = []
            ValueDiff.records(expected: output, actual: records, into: &lines)
            out.append((["output differs (- expected, + actual):"] + lines).joined(separator: "\n"))
        }
        for p in each {
            var bad: [String] = []
            for (i, r) in records.enumerated() {
                if let why = p.refusal(r) { bad.append("  output[\(i)]: \(why): \(JSONWriter.string(r))") }
            }
            if !bad.isEmpty {
                out.append((["each `\(p.source)` (\(p.path)) is not true for \(bad.count) of \(records.count) records:"]
                            + bad.prefix(10)).joined(separator: "\n"))
            }
        }
        for p in all {
            if let why = p.refusal(.array(records)) { out.append("all `\(p.source)` (\(p.path)): \(why)") }
        }
        if let e = errorFailure(outcome.errors) { out.append(e) }
        if let sandbox, let answers = outcome.answers, let s = Self.answerFailure(sandbox, answers) { out.append(s) }
        return out
    }

    private func errorFailure(_ actual: [RecordError]) -> String? {
        let mismatched = actual.count != errors.count || zip(errors, actual).contains { !$0.matches($1) }
        guard mismatched else { return nil }
        var lines = ["errors differ: expected \(errors.count), got \(actual.count) (- expected, + actual):"]
        for i in 0..<max(errors.count, actual.count) {
            let e = i < errors.count ? errors[i] : nil, a = i < actual.count ? actual[i] : nil
            if let e, let a, e.matches(a) { lines.append("    [\(i)] \(Self.describe(a))"); continue }
            if let e { lines.append("  - [\(i)] \(e.description)") }
            if let a { lines.append("  + [\(i)] \(Self.describe(a))") }
            if lines.count > 40 { lines.append("  …"); break }
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ e: RecordError) -> String {
        var parts = ["code: \(e.code)", "stage: \(e.stage.rawValue)"]
        if let f = e.field { parts.append("field: \(f)") }
        if let s = e.step { parts.append("step: \(s)") }
        parts.append("at: \(e.position.description.isEmpty ? "-" : e.position.description)")
        parts.append("message: \(e.message)")
        return parts.joined(separator: ", ")
    }

    private static func answerFailure(_ expected: [ExpectedAnswer], _ answers: [Value]) -> String? {
        var lines: [String] = []
        if expected.count != answers.count {
            lines.append("  expected \(expected.count) answers, the sandbox gave \(answers.count)")
        }
        for (i, (e, a)) in zip(expected, answers).enumerated() {
            switch e {
            case .result(let want):
                guard let got = a["result"] else {
                    lines.append("  [\(i)] expected a result, got a refusal: \(JSONWriter.string(a["error"] ?? .null))")
                    continue
                }
                var diff: [String] = []
                ValueDiff.subset(want, of: got, path: "[\(i)].result", into: &diff)
                lines += diff
            case .refused(let code, let message):
                let error = a["error"]
                let said = error?["message"]?.stringValue ?? ""
                if error?["code"]?.stringValue != code || message.map({ !said.contains($0) }) == true {
                    lines.append("  [\(i)] expected refusal \(code)\(message.map { " (\"\($0)\")" } ?? ""), got "
                                 + JSONWriter.string(error ?? a["result"] ?? .null))
                }
            }
        }
        return lines.isEmpty ? nil : (["sandbox answers differ:"] + lines).joined(separator: "\n")
    }
}

extension PipelineTestExpectation.ExpectedError: CustomStringConvertible {
    func matches(_ a: RecordError) -> Bool {
        guard a.code == code, stage.map({ $0 == a.stage }) ?? true, step.map({ $0 == a.step }) ?? true else { return false }
        if let field, field != a.field { return false }
        if let message, !a.message.contains(message) { return false }
        return true
    }

    public var description: String {
        var parts = ["code: \(code)"]
        if let stage { parts.append("stage: \(stage.rawValue)") }
        if let field { parts.append("field: \(field ?? "null")") }
        if let step { parts.append("step: \(step)") }
        if let message { parts.append("message contains: \(message)") }
        return parts.joined(separator: ", ")
    }
}

extension PipelineTestExpectation.Predicate {
    /// Nil when the predicate is true of `input`; otherwise what it gave instead.
    func refusal(_ input: Value) -> String? {
        do {
            let v = try expression.evaluate(input, functions: CleansingFunctions.registry)
            if v == .bool(true) { return nil }
            return v.map { "gave \(JSONWriter.string($0))" } ?? "gave nothing (undefined)"
        } catch {
            return "failed: \(error.message) [expr.\(error.code)]"
        }
    }
}
