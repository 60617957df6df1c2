import Foundation
import OnrampCore

/// `aggregate`: one record per group of records with the same `by` fields (all records form one group without
/// `by`): the `by` fields plus each output field, `sum(path)`, `count()`, `min(path)`, `max(path)`, `first(path)`,
/// `last(path)`, `collect(path)`, `avg(path)`. Sums are exact decimals. Groups come out in the order they began, at
/// the end, a batch (the pipeline's batch size) at a time; the values every `collect` holds have a byte budget.
final class AggregateStep: Step {
    enum Function: String, CaseIterable { case sum, count, min, max, first, last, collect, avg }
    struct Output {
        let name: FieldPath
        let function: Function
        let field: FieldPath?
    }
    enum Accumulator {
        case decimal(Decimal, Int)
        case value(Value?)
        case list([Value])
    }
    struct Group {
        var key: Value
        var position: SourcePosition
        var accumulators: [Accumulator]
        var failed = false
        /// What this group's `collect` lists hold (about), in bytes.
        var collectedBytes = 0
        /// The newest record of the group in `members`.
        var lastMember: AggregateMembers.Ref?
        /// Whether the group took a record before.
        var tookAny = false
    }

    let by: [FieldPath]
    let outputs: [Output]
    let maxGroups: Int
    let maxCollect: Int
    let maxCollectBytes: Int
    let maxSpillBytes: Int
    let batchSize: Int
    let label: String
    private var groups: [String: Int] = [:]
    private var ordered: [Group] = []
    /// What every group's `collect` lists hold together (about), in bytes.
    private var collectedBytes = 0
    /// At the end: the next group to give.
    private var next = 0
    /// The records of groups that can still fail (a sum of text, a list past its budget), so that a failing group
    /// reports each of them: nil when no output can fail.
    private let members: AggregateMembers?
    /// The records kept passed `max_spill_mb`: none is kept from then on.
    private var spillFull = false
    private(set) var failure: OnrampError?

    init(_ c: StepConfig, label: String, batchSize: Int = 500, scratch: String? = nil) throws(OnrampError) {
        by = try c.fields("by") ?? []
        var outputs: [Output] = []
        for (name, v) in try c.object("fields") ?? [:] {
            let at = "\(c.at("fields")).\(name)"
            guard case .string(let text) = v else { throw OnrampError("config.type", "must be like sum(amount)", at: at) }
            let call = text.trimmingCharacters(in: .whitespaces)
            guard let open = call.firstIndex(of: "("), call.hasSuffix(")"),
                  let function = Function(rawValue: String(call[..<open]).trimmingCharacters(in: .whitespaces)) else {
                throw OnrampError("config.aggregate", "'\(text)' is not one of "
                                  + Function.allCases.map { "\($0.rawValue)(field)" }.joined(separator: ", "), at: at)
            }
            let argument = call[call.index(after: open)..<call.index(before: call.endIndex)].trimmingCharacters(in: .whitespaces)
            let field = argument.isEmpty ? nil : try FieldPath(argument, at: at)
            guard field != nil || function == .count else {
                throw OnrampError("config.aggregate", "\(function.rawValue) needs a field: \(function.rawValue)(amount)", at: at)
            }
            outputs.append(Output(name: try FieldPath(name, at: at), function: function, field: field))
        }
        guard !outputs.isEmpty else { throw OnrampError("config.length", "give at least one output field", at: c.at("fields")) }
        self.outputs = outputs
        maxGroups = try c.int("max_groups", default: 1_000_000)
        maxCollect = try c.int("max_collect", default: 10_000)
        maxCollectBytes = try c.int("max_collect_mb", default: 256) << 20
        maxSpillBytes = try c.int("max_spill_mb", default: 256) << 20
        self.batchSize = max(1, batchSize)
        self.label = label
        let canFail = outputs.contains { [.sum, .avg, .collect].contains($0.function) }
        members = canFail ? AggregateMembers(scratch: scratch) : nil
    }

    var isIdle: Bool { ordered.isEmpty }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        for r in records {
            var key = Value.object([:])
            for f in by { f.set(f.get(r.value) ?? .null, in: &key) }
            let text = JSONWriter.string(key)
            let index: Int
            if let i = groups[text] {
                index = i
            } else {
                guard ordered.count < maxGroups else {
                    errors.append(RecordError(stage: .transform, position: r.position, code: "aggregate.too_many",
                                              message: "more than \(maxGroups) groups (max_groups)", step: label, value: r.value))
                    continue
                }
                index = ordered.count
                groups[text] = index
                ordered.append(Group(key: key, position: r.position, accumulators: outputs.map { Self.start($0.function) }))
            }
            if ordered[index].failed {
                errors.append(Self.groupError(position: r.position, code: "aggregate.group_failed",
                                              message: "the group of \(text) is dropped: an earlier record of it failed",
                                              step: label, value: r.value))
                continue
            }
            var failed = false
            for (i, output) in outputs.enumerated() {
                do throws(OnrampError) {
                    var bytes = 0
                    try add(r.value, output, to: &ordered[index].accumulators[i], bytes: &bytes)
                    ordered[index].collectedBytes += bytes
                } catch {
                    // The records it took before first, so that a replay gives them back in their order.
                    drop(group: index, text: text, cause: r.position, errors: &errors)
                    errors.append(Self.groupError(position: r.position, code: error.code,
                                                  message: "\(output.name): \(error.message); the group of \(text) is dropped",
                                                  step: label, value: r.value, field: output.field?.description))
                    failed = true
                    break
                }
            }
            if !failed { keep(r, in: index) }
        }
        return []
    }

    /// An error record of a failed group: a replay gives it back to this step, with the group's other records.
    private static func groupError(position: SourcePosition, code: String, message: String, step: String, value: Value,
                                   field: String? = nil) -> RecordError {
        var e = RecordError(stage: .transform, position: position, code: code, message: message, step: step, value: value,
                            field: field)
        e.reentersAtStep = true
        return e
    }

    /// Keeps `r` in its group's chain, within `max_spill_mb`.
    private func keep(_ r: Record, in index: Int) {
        ordered[index].tookAny = true
        guard let members, failure == nil, !spillFull else { return }
        do {
            ordered[index].lastMember = try members.append(r, after: ordered[index].lastMember)
            if members.bytesKept > maxSpillBytes {
                spillFull = true
                members.reset()
                for i in ordered.indices { ordered[i].lastMember = nil }
            }
        } catch {
            stop(error)
        }
    }

    /// The group gives nothing: its lists go, and each record it took before is an error record.
    private func drop(group index: Int, text: String, cause: SourcePosition, errors: inout [RecordError]) {
        ordered[index].failed = true
        collectedBytes -= ordered[index].collectedBytes
        ordered[index].collectedBytes = 0
        ordered[index].accumulators = []
        guard members != nil, ordered[index].tookAny, failure == nil else { return }
        guard let last = ordered[index].lastMember, let members else {
            failure = OnrampError("aggregate.spill", "\(label): the group of \(text) failed, and the records it took cannot all be "
                                  + "reported: the records held passed \(maxSpillBytes >> 20) MiB (max_spill_mb)")
            return
        }
        ordered[index].lastMember = nil
        let at = cause.line.map { "line \($0)" } ?? cause.key.map { "key \($0)" } ?? "a later record"
        do {
            for m in try members.chain(from: last) {
                errors.append(Self.groupError(position: m.position, code: "aggregate.group_failed",
                                              message: "the group of \(text) is dropped: its record at \(at) failed",
                                              step: label, value: m.value))
            }
        } catch {
            stop(error)
        }
    }

    /// The records held cannot all be reported: the run fails (nothing after the last checkpoint is committed).
    private func stop(_ error: any Error) {
        failure = (error as? OnrampError) ?? OnrampError("aggregate.spill", "\(label): could not use the spill file: \(error)")
        members?.reset()
    }

    private static func start(_ f: Function) -> Accumulator {
        switch f {
        case .sum, .count, .avg: return .decimal(0, 0)
        case .collect: return .list([])
        case .min, .max, .first, .last: return .value(nil)
        }
    }

    private func add(_ record: Value, _ output: Output, to acc: inout Accumulator, bytes: inout Int) throws(OnrampError) {
        let v = output.field.flatMap { $0.get(record) }
        switch (output.function, acc) {
        case (.count, .decimal(let d, let n)):
            if output.field == nil || !(v?.isNull ?? true) { acc = .decimal(d + 1, n + 1) }
        case (.sum, .decimal(let d, let n)), (.avg, .decimal(let d, let n)):
            guard let v, !v.isNull else { return }
            guard let x = ExactDecimal.decimal(v) else {
                throw OnrampError("aggregate.not_number", "\(output.field!) is \(JSONWriter.string(v)), not a number")
            }
            acc = .decimal(d + x, n + 1)
        case (.collect, .list(var items)):
            guard let v else { return }
            guard items.count < maxCollect else {
                throw OnrampError("aggregate.too_many_values", "more than \(maxCollect) values to collect (max_collect)")
            }
            let size = Self.approximateBytes(v)
            guard collectedBytes + size <= maxCollectBytes else {
                throw OnrampError("aggregate.too_large", "the collected values pass \(maxCollectBytes >> 20) MiB (max_collect_mb)")
            }
            collectedBytes += size
            bytes += size
            acc = .value(nil)  // the only reference left is `items`: the append does not copy the list
            items.append(v)
            acc = .list(items)
        case (.first, .value(let current)):
            if current == nil, let v { acc = .value(v) }
        case (.last, .value):
            if let v { acc = .value(v) }
        case (.min, .value(let current)), (.max, .value(let current)):
            guard let v, !v.isNull else { return }
            guard let current else { acc = .value(v); return }
            let order = ValueOrder.compare(v, current)
            if (output.function == .min && order < 0) || (output.function == .max && order > 0) { acc = .value(v) }
        default:
            break
        }
    }

    /// About what a value takes in memory: its text and a word or two per value.
    static func approximateBytes(_ v: Value) -> Int {
        switch v {
        case .string(let s): return 16 + s.utf8.count
        case .array(let a): return a.reduce(16) { $0 + approximateBytes($1) }
        case .object(let o): return o.reduce(16) { $0 + 16 + $1.key.utf8.count + approximateBytes($1.value) }
        default: return 16
        }
    }

    /// The next groups at the end of the input, at most a batch; none when every group was given.
    func finish(errors: inout [RecordError]) -> [Record] {
        var out: [Record] = []
        while next < ordered.count, out.count < batchSize {
            defer { next += 1 }
            let g = ordered[next]
            guard !g.failed else { continue }
            ordered[next].accumulators = []  // given: its memory goes
            var v = g.key
            for (output, acc) in zip(outputs, g.accumulators) {
                let result: Value
                switch (output.function, acc) {
                case (.count, .decimal(let d, _)): result = ExactDecimal.value(d)
                case (.sum, .decimal(let d, _)): result = ExactDecimal.value(d)
                case (.avg, .decimal(let d, let n)): result = n == 0 ? .null : .number(NSDecimalNumber(decimal: d / Decimal(n)).doubleValue)
                case (_, .list(let items)): result = .array(items)
                case (_, .value(let x)): result = x ?? .null
                default: result = .null
                }
                output.name.set(result, in: &v)
            }
            out.append(Record(v, position: g.position))
        }
        if next >= ordered.count {
            ordered = []
            groups = [:]
            collectedBytes = 0
            next = 0
            members?.reset()
            spillFull = false
        }
        return out
    }
}

extension AggregateStep {
    static let spec = StepSpec(
        name: "aggregate",
        summary: "One record per group: sums (exact decimals), counts, minimum, maximum, first, last, lists.",
        configSchema: Schema.object([
            "by": Schema.fields("Group by", "The field paths whose values make a group (none: one group of all records)"),
            "fields": Schema.map("Output fields", "Output field: sum(path), count(), avg(path), min(path), max(path), "
                                 + "first(path), last(path) or collect(path)", values: ["type": "string", "minLength": 1]),
            "max_groups": Schema.integer("Max groups", "Past this many groups a record is an error", min: 1,
                                         max: 10_000_000, default: 1_000_000),
            "max_collect": Schema.integer("Max collected", "Most values one collect() gathers", min: 1,
                                          max: 1_000_000, default: 10_000),
            "max_collect_mb": Schema.integer("Max collected (MiB)", "What all collect() lists of the step may hold "
                                             + "together; past it a group is an error", min: 1, max: 65_536, default: 256),
            "max_spill_mb": Schema.integer("Max kept (MiB)", "What the records of groups not given yet may take on disk, "
                                           + "kept to report a failing group whole; a group failing past it fails the run",
                                           min: 1, max: 1_048_576, default: 256),
        ], required: ["fields"]),
        example: """
        - aggregate:
            by: [customer, currency]
            fields: {total: sum(amount), orders: count(), first_order: min(date), skus: collect(sku)}
        """,
        build: { config, spec, context in
            try AggregateStep(try StepConfig(config, at: spec.path), label: spec.name ?? spec.path, batchSize: context.batchSize,
                              scratch: context.scratchDirectory)
        })
}
