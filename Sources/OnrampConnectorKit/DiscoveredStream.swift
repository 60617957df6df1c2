import OnrampCore

/// A stream a source offers: a table, view, API resource, sheet or file, with its fields, a
/// suggested primary key and cursor. Snake_case on the wire.
public struct DiscoveredStream: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case table, view, resource, file, sheet, query }

    public struct Field: Sendable, Equatable, Codable {
        public var name: String
        /// The JSON type records carry: string, number, integer, boolean, object, array (plus the
        /// source's own type name in `source_type`).
        public var type: String
        public var sourceType: String?
        public var nullable: Bool

        public init(name: String, type: String, sourceType: String? = nil, nullable: Bool = true) {
            self.name = name
            self.type = type
            self.sourceType = sourceType
            self.nullable = nullable
        }

        enum CodingKeys: String, CodingKey { case name, type, sourceType = "source_type", nullable }
    }

    public var name: String
    public var kind: Kind
    public var fields: [Field]
    public var primaryKey: [String]
    public var cursorField: [String]

    public init(name: String, kind: Kind, fields: [Field], primaryKey: [String] = [], cursorField: [String] = []) {
        self.name = name
        self.kind = kind
        self.fields = fields
        self.primaryKey = primaryKey
        self.cursorField = cursorField
    }

    enum CodingKeys: String, CodingKey { case name, kind, fields, primaryKey = "primary_key", cursorField = "cursor_field" }
}
