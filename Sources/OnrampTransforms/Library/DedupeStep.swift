import Crypto
import Foundation
import OnrampCore

/// `dedupe`: a record whose key was seen before is dropped (or is an error record, `dedupe.duplicate`). Within
/// one run, or (`scope: pipeline`) across the pipeline's runs: then the step remembers the keys of the records its
/// committed runs passed, up to `max_keys` (the oldest are forgotten first), as 16-byte SHA-256 prefixes. A key
/// whose record failed after the step (same source position) is forgotten, so the record's next delivery passes.
final class DedupeStep: StatefulStep {
    let key: [FieldPath]
    let acrossRuns: Bool
    let asError: Bool
    let maxKeys: Int
    let label: String
    private var seen = Set<Digest16>()
    /// The remembered keys oldest first, from `head`; a forgotten one is `Digest16.forgotten` (it still counts
    /// until it falls off). `dropped`: how many were cut off the front of the array.
    private var order: [Digest16] = []
    private var head = 0
    private var dropped = 0
    /// Where the keys remembered since the last snapshot are in `order` (absolute, counting `dropped`), by source
    /// position; at most `maxKeys` (past that, older ones are kept whatever becomes of their records).
    private var recent: [SourcePosition: [Int]] = [:]
    private var recentCount = 0

    struct Digest16: Hashable {
        let a: UInt64
        let b: UInt64
        /// In `order` where a key was forgotten (no SHA-256 prefix is all zeros but once in 2^128).
        static let forgotten = Digest16(a: 0, b: 0)
    }

    init(_ c: StepConfig, label: String) throws(OnrampError) {
        key = try c.fields("key") ?? []
        guard !key.isEmpty else { throw OnrampError("config.length", "give at least one key field", at: c.at("key")) }
        acrossRuns = try c.string("scope", default: "run") == "pipeline"
        asError = try c.string("duplicates", default: "drop") == "error"
        maxKeys = try c.int("max_keys", default: 100_000)
        self.label = label
    }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        var out: [Record] = []
        out.reserveCapacity(records.count)
        for r in records {
            var text = ""
            for field in key {
                let v = field.get(r.value) ?? .null
                text += JSONWriter.string(v)
                text += "\u{1F}"
            }
            let digest = Self.digest(text)
            if seen.contains(digest) {
                if asError {
                    errors.append(RecordError(stage: .transform, position: r.position, code: "dedupe.duplicate",
                                              message: "a record with the same \(key.map(\.description).joined(separator: ", ")) "
                                                + "came before", step: label, value: r.value, field: key[0].description))
                }
                continue
            }
            remember(digest)
            if acrossRuns, recentCount < maxKeys {
                recent[r.position, default: []].append(dropped + order.count - 1)
                recentCount += 1
            }
            out.append(r)
        }
        return out
    }

    private func remember(_ d: Digest16) {
        seen.insert(d)
        order.append(d)
        if order.count - head > maxKeys {
            seen.remove(order[head])
            head += 1
            if head > 65_536 && head * 2 > order.count {
                order.removeFirst(head)
                dropped += head
                head = 0
            }
        }
    }

    static func digest(_ text: String) -> Digest16 {
        let h = SHA256.hash(data: Data(text.utf8))
        return h.withUnsafeBytes { raw in
            Digest16(a: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                     b: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }

    func forget(_ positions: Set<SourcePosition>) {
        guard acrossRuns, !recent.isEmpty else { return }
        for p in positions {
            for index in recent.removeValue(forKey: p) ?? [] {
                let i = index - dropped
                guard i >= head, i < order.count else { continue }  // fallen off already
                seen.remove(order[i])
                order[i] = .forgotten
            }
        }
    }

    /// The remembered keys, oldest first, as base64 of their 16-byte digests; nothing within one run.
    func snapshot() -> Value {
        guard acrossRuns else { return .null }
        recent.removeAll(keepingCapacity: true)
        recentCount = 0
        var bytes = [UInt8]()
        bytes.reserveCapacity((order.count - head) * 16)
        var count = 0
        for d in order[head...] where d != .forgotten {
            count += 1
            withUnsafeBytes(of: d.a) { bytes += $0 }
            withUnsafeBytes(of: d.b) { bytes += $0 }
        }
        return ["keys": .string(Data(bytes).base64EncodedString()), "count": .number(Double(count))]
    }

    func restore(_ state: Value) throws {
        guard acrossRuns, case .string(let text)? = state["keys"] else { return }
        guard let data = Data(base64Encoded: text), data.count % 16 == 0 else {
            throw OnrampError("dedupe.state", "the remembered keys are damaged", at: label)
        }
        data.withUnsafeBytes { raw in
            for i in stride(from: 0, to: raw.count, by: 16) {
                remember(Digest16(a: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self),
                                  b: raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)))
            }
        }
    }
}

extension DedupeStep {
    static let spec = StepSpec(
        name: "dedupe",
        summary: "Drops records whose key came before, in this run or in the pipeline's earlier runs.",
        configSchema: Schema.object([
            "key": ["type": "array", "title": "Key", "description": "The field paths that together identify a record",
                    "minItems": 1, "items": Schema.field("Field", "A field path")],
            "scope": Schema.choice("Scope", "run: duplicates within one run; pipeline: also of the earlier runs",
                                   ["run", "pipeline"], default: "run"),
            "duplicates": Schema.choice("Duplicates", "drop them, or report each as an error record (dedupe.duplicate)",
                                        ["drop", "error"], default: "drop"),
            "max_keys": Schema.integer("Max keys", "How many keys are remembered; the oldest are forgotten first",
                                       min: 1, max: 1_000_000, default: 100_000),
        ], required: ["key"]),
        example: """
        - dedupe: {key: [order_id, line_no], scope: pipeline}
        """,
        build: { config, spec, _ in try DedupeStep(try StepConfig(config, at: spec.path), label: spec.name ?? spec.path) })
}
