import NIOCore
import OnrampConnectorKit
import OnrampCore
import OnrampFileFormats
import OnrampHTTPSupport

extension HTTPSFileSource {
    static let incrementalSchema: Value = [
        "type": "object", "additionalProperties": false, "required": ["mode"],
        "properties": ["mode": ["type": "string", "enum": ["changed"], "title": "Mode",
                                "description": "Read a file again only when its ETag or Last-Modified changed"]],
    ]

    static var configSchema: Value {
        var properties: Value.Object = [
            "url": ["type": "string", "minLength": 1, "title": "URL", "description": "The file's http(s) URL",
                    "x-origin": true,
                    "examples": ["https://erp.example.com/exports/orders.csv"]],
            "urls": ["type": "array", "items": ["type": "string", "minLength": 1, "x-origin": true], "title": "URLs",
                     "description": "Several files in one format, read in this order (instead of url)"],
            "headers": [
                "type": "array", "title": "Headers", "description": "Request headers; put credentials in secret_value",
                "items": [
                    "type": "object", "additionalProperties": false, "required": ["name"],
                    "properties": [
                        "name": ["type": "string", "minLength": 1, "title": "Name", "examples": ["Authorization"]],
                        "value": ["type": "string", "title": "Value", "examples": ["text/csv"]],
                        "secret_value": ["type": "string", "x-secret": true, "format": "password", "title": "Secret value",
                                         "description": "A value that is a credential: ${secret:NAME}",
                                         "examples": ["${secret:ERP_TOKEN}"]],
                    ],
                ],
            ],
            "format": ["type": "string", "enum": .array(FileFormat.names.map(Value.string)), "title": "Format",
                       "description": "How the files are parsed (the format's options sit beside it)", "examples": ["csv"]],
            "max_bytes": ["type": "integer", "minimum": 1, "default": 1_073_741_824, "title": "Largest file",
                          "description": "A bigger download is an error"],
            "timeout_seconds": ["type": "number", "minimum": 1, "maximum": 86_400, "default": 600,
                                "title": "Timeout (s)", "description": "For each whole download, body included"],
        ]
        for (key, value) in FileFormat.allOptionProperties where properties[key] == nil { properties[key] = value }
        return ["type": "object", "additionalProperties": false, "required": ["format"], "properties": .object(properties)]
    }

    static var spec: SourceSpec {
        SourceSpec(
            name: "https_file",
            summary: "Files downloaded over HTTPS (one URL or a list), in one file format; incremental by ETag.",
            configSchema: configSchema, incrementalSchema: incrementalSchema,
            build: { config, incremental, resources in
                let field = "source.config"
                let c = try ConnectorConfig.decode(Config.self, from: config, at: field)
                var targets: [Target] = []
                if let url = c.url { targets.append(Target(url: url, field: "\(field).url")) }
                for (i, url) in (c.urls ?? []).enumerated() { targets.append(Target(url: url, field: "\(field).urls[\(i)]")) }
                guard !targets.isEmpty, c.url == nil || c.urls == nil else {
                    throw OnrampError("config.missing", "give url or urls (one of them)", at: "\(field).url")
                }
                for t in targets {
                    let lower = t.url.lowercased()
                    guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
                        throw OnrampError("config.url", "must be an http(s) URL", at: t.field)
                    }
                }
                var headers: [(String, String)] = []
                for (i, h) in (c.headers ?? []).enumerated() {
                    guard let value = h.value ?? h.secretValue, (h.value == nil) != (h.secretValue == nil) else {
                        throw OnrampError("config.missing", "give value or secret_value (one of them)",
                                          at: "\(field).headers[\(i)]")
                    }
                    headers.append((h.name, value))
                }
                return HTTPSFileSource(
                    targets: targets, headers: headers,
                    format: try FileFormat.make(validating: c.format, config: config, at: field),
                    incremental: incremental != nil, maxBytes: c.maxBytes,
                    timeout: .milliseconds(Int64(c.timeoutSeconds * 1000)),
                    client: try OutboundClient.client(for: resources.egress),
                    egress: resources.egress)
            })
    }
}
