import OnrampConnectorKit
import OnrampCore
import Testing

/// The specs the UI renders forms from: every field documented, every example valid, bad configs named.
@Suite struct HTTPSpecTests {
    /// (path, property schema) for every property, nested ones included.
    static func properties(_ schema: Value, at path: String) -> [(String, Value)] {
        (schema["properties"]?.objectValue ?? [:]).flatMap { name, property in
            [("\(path).\(name)", property)] + properties(property, at: "\(path).\(name)")
        }
    }

    static var schemas: [(String, Value)] {
        let r = Harness.registry()
        return [("http_api", r.sources["http_api"]!.configSchema), ("http_api.incremental", r.sources["http_api"]!.incrementalSchema!),
                ("http", r.destinations["http"]!.configSchema)]
    }

    @Test func everyFieldHasATitleADescriptionAndValidExamples() throws {
        for (name, schema) in Self.schemas {
            #expect(Self.properties(schema, at: name).count >= 4)
            for (path, property) in Self.properties(schema, at: name) {
                #expect(property["title"]?.stringValue?.isEmpty == false, "\(path) has no title")
                #expect(property["description"]?.stringValue?.isEmpty == false, "\(path) has no description")
                if property["type"] == "object" { continue }
                let examples = property["examples"]?.arrayValue ?? []
                #expect(!examples.isEmpty, "\(path) has no examples")
                for example in examples {
                    #expect(throws: Never.self, "\(path) example \(example)") {
                        _ = try JSONSchema.validate(example, against: property, at: path)
                    }
                }
                if let d = property["default"] {
                    #expect(throws: Never.self, "\(path) default") { _ = try JSONSchema.validate(d, against: property, at: path) }
                }
            }
        }
    }

    @Test func badConfigsAreErrorsNamingTheField() async {
        let cases: [(Value, String)] = [
            (["url": "https://erp.example/o", "pagination": ["type": "pages"]], "source.config.pagination.type"),
            (["url": "https://erp.example/o", "pagination": ["type": "cursor"]], "source.config.pagination.cursor_path"),
            (["url": "https://erp.example/o", "records_path": "orders["], "source.config.records_path"),
            (["url": "ftp://erp.example/o"], "source.config.url"),
            (["url": "https://erp.example/o", "detail": ["url": "/o/{id", "into": "x"]], "source.config.detail.url"),
            (["url": "https://erp.example/o", "auth": ["type": "api_key", "in": "cookie", "key": "k"]], "source.config.auth.in"),
            (["url": "https://erp.example/o", "timeout": 5], "source.config.timeout"),
        ]
        for (config, location) in cases {
            let error = await Harness.error { _ = try Harness.source(config) }
            #expect(error?.location == location, "\(config): \(String(describing: error))")
        }
        let inc = await Harness.error {
            _ = try Harness.source(["url": "https://erp.example/o"], incremental: ["cursor_field": "updated_at", "key": "id"])
        }
        #expect(inc?.location == "source.incremental.param")
    }
}
