import OnrampConnectorKit
import OnrampCore

/// The top-level fields of the records a source gave one run, with the JSON types seen in each and how many records
/// had it: what schema drift is measured on (`SchemaDrift`).
public struct ObservedSchema: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        /// JSON type names seen (`string`, `number`, `boolean`, `object`, `array`, `null`).
        public var types: Set<String> { Set(Self.names.indices.filter { seen & (1 << $0) != 0 }.map { Self.names[$0] }) }
        /// Records that had the field.
        public var present: Int
        /// One bit per type of `names`: what every record of every batch sets, so no string is hashed for it.
        fileprivate var seen: UInt8

        static let names = ["null", "boolean", "number", "string", "array", "object"]

        public init(types: Set<String>, present: Int) {
            seen = 0
            for (i, name) in Self.names.enumerated() where types.contains(name) { seen |= 1 << i }
            self.present = present
        }

        fileprivate init(bit: UInt8, present: Int) {
            seen = bit
            self.present = present
        }

        fileprivate static func bit(_ v: Value) -> UInt8 {
            switch v {
            case .null: 1
            case .bool: 2
            case .number: 4
            case .string: 8
            case .array: 16
            case .object: 32
            }
        }
    }

    public private(set) var records = 0
    public private(set) var fields: [String: Field] = [:]
    /// Field names in the order first seen.
    public private(set) var order: [String] = []
    /// A record with more fields than this is counted but its extra fields are not (a hostile source's records
    /// must not grow the summary without bound).
    static let maxFields = 2_000
    /// Longer field names are not recorded either.
    static let maxNameBytes = 256
    /// The last record's keys and where each sits in `fields`: a source's records mostly share their keys' storage
    /// (or at least their names), so they are counted by position, no name hashed.
    private var lastKeys: [String] = []
    private var lastSlots: [Dictionary<String, Field>.Index] = []

    public static func == (a: Self, b: Self) -> Bool {
        a.records == b.records && a.fields == b.fields && a.order == b.order
    }

    public init() {}

    public init(records: Int, fields: [(String, Field)]) {
        self.records = records
        for (name, field) in fields where self.fields[name] == nil {
            self.fields[name] = field
            order.append(name)
        }
    }

    /// Whether every record had `name`.
    public func alwaysHad(_ name: String) -> Bool { fields[name]?.present == records && records > 0 }

    /// Whether field names were left out (past `maxFields`).
    public var isCapped: Bool { order.count >= Self.maxFields }

    public mutating func observe(_ value: Value) {
        records += 1
        guard case .object(let o) = value else { return }
        let keys = o.keys.elements
        if !keys.isEmpty, keys == lastKeys {
            for (slot, v) in zip(lastSlots, o.values) {
                fields.values[slot].present += 1
                fields.values[slot].seen |= Field.bit(v)
            }
            return
        }
        for (k, v) in o { see(k, Field.bit(v), count: 1) }
        lastSlots = keys.compactMap { fields.index(forKey: $0) }
        lastKeys = lastSlots.count == keys.count ? keys : []
    }

    /// A lazy table's rows: every column is text in every row.
    public mutating func observe(_ table: RecordTable) {
        guard table.rowCount > 0 else { return }
        records += table.rowCount
        for c in table.columns { see(c, Field.bit(.string("")), count: table.rowCount) }
    }

    public mutating func observe(_ batch: SourceBatch) {
        for r in batch.records { observe(r.value) }
        for t in batch.tables { observe(t) }
    }

    private mutating func see(_ name: String, _ bit: UInt8, count: Int) {
        if let i = fields.index(forKey: name) {
            fields.values[i].present += count
            fields.values[i].seen |= bit
            return
        }
        guard order.count < Self.maxFields, name.utf8.count <= Self.maxNameBytes else { return }
        lastKeys = []
        fields[name] = Field(bit: bit, present: count)
        order.append(name)
    }

    /// `{"records": n, "fields": [{"name", "types": [...], "present": n}]}`, fields in the order first seen.
    public var asValue: Value {
        ["records": .number(Double(records)),
         "fields": .array(order.map { name in
             let f = fields[name]!
             return ["name": .string(name), "types": .array(f.types.sorted().map(Value.string)),
                     "present": .number(Double(f.present))]
         })]
    }

    /// Reads `asValue`'s shape back; nil when it is not that shape.
    public init?(value: Value?) {
        guard let value, let n = value["records"]?.numberValue, n >= 0, n < 1e15,
              let list = value["fields"]?.arrayValue else { return nil }
        var fields: [(String, Field)] = []
        for item in list.prefix(Self.maxFields) {
            guard let name = item["name"]?.stringValue, let present = item["present"]?.numberValue, present >= 0,
                  present < 1e15 else { return nil }
            fields.append((name, Field(types: Set(item["types"]?.arrayValue?.compactMap(\.stringValue) ?? []),
                                       present: Int(present))))
        }
        self.init(records: Int(n), fields: fields)
    }
}
