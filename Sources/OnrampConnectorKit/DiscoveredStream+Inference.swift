import OnrampCore

extension DiscoveredStream {
    /// A stream whose fields are inferred from the first `sample` records a source reads (field order
    /// as first seen; a field's type is the one JSON type its non-null values share, else "string").
    public static func infer(from source: any Source, name: String, kind: Kind, sample: Int = 100) async throws
        -> [DiscoveredStream] {
        var reader = try await source.open(checkpoint: nil, batchSize: sample)
        var records: [Record] = []
        do {
            while records.count < sample, let batch = try await reader.next() {
                records += batch.allRecords().prefix(sample - records.count)
            }
        } catch {
            await reader.close()
            throw error
        }
        await reader.close()
        return [DiscoveredStream(name: name, kind: kind, fields: fields(of: records.map(\.value)))]
    }

    /// The fields of sampled records, typed by their values; a field of mixed types is a string whose
    /// `source_type` names the types seen (`integer|string`).
    public static func fields(of values: [Value]) -> [Field] {
        var order: [String] = []
        var types: [String: Set<String>] = [:]
        var nullable: Set<String> = []
        for value in values {
            guard let object = value.objectValue else { continue }
            for (key, v) in object {
                if types[key] == nil { order.append(key); types[key] = [] }
                if v.isNull { nullable.insert(key) } else { types[key]!.insert(jsonType(v)) }
            }
        }
        for key in order where values.contains(where: { $0[key] == nil }) { nullable.insert(key) }
        return order.map { key in
            var t = types[key] ?? []
            if t == ["integer", "number"] { t = ["number"] }
            return Field(name: key, type: t.count == 1 ? t.first! : "string",
                         sourceType: t.count > 1 ? t.sorted().joined(separator: "|") : nil, nullable: nullable.contains(key))
        }
    }

    private static func jsonType(_ v: Value) -> String {
        if case .number(let n) = v { return n == n.rounded() && abs(n) < 1e15 ? "integer" : "number" }
        return v.typeName
    }
}
