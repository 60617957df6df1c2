import OnrampCore

/// The decoded config of the `http` destination.
struct HTTPDestinationConfig: Decodable, Sendable {
    struct Idempotency: Decodable, Sendable {
        var name: String
        var value: String
    }

    var url: String
    var method: String
    var headers: [String: String]
    var body: String
    var batchSize: Int
    var concurrency: Int
    var idempotencyHeader: Idempotency?
    var result: String?
    var auth: HTTPAuthConfig?
    var maxAttempts: Int
    var timeoutSeconds: Double
    var maxResponseMib: Int

    static let schema: Value = [
        "type": "object", "additionalProperties": false, "required": ["url"],
        "properties": [
            "url": ["type": "string", "title": "URL template", "minLength": 1, "x-origin": true,
                    "description": .string("Where each request goes; {expression} is JSONata on the record (on the array of "
                        + "records when batch_size > 1), percent-encoded."),
                    "examples": ["https://shop.example/wp-json/wc/v3/orders/{id}"]],
            "method": ["type": "string", "title": "Method template", "default": "POST", "minLength": 1,
                       "description": "POST, PUT, PATCH, DELETE…, or a template such as {deleted ? 'DELETE' : 'PUT'}.",
                       "examples": ["PUT"]],
            "headers": ["type": "object", "title": "Header templates", "default": [:],
                        "additionalProperties": ["type": "string"],
                        "description": "Extra headers, values templated like url (no secrets: put credentials in auth).",
                        "examples": [["X-Tenant": "{company}"]]],
            "body": ["type": "string", "title": "Body", "default": "$", "minLength": 1,
                     "description": .string("A JSONata expression giving the JSON body from the record (the array of records "
                        + "when batch_size > 1)."), "examples": ["{\"order\": $}", "{\"orders\": $}"]],
            "batch_size": ["type": "integer", "title": "Records per request", "default": 1, "minimum": 1, "maximum": 1000,
                           "description": "1: one request per record; more: one request per batch, built from the array.",
                           "examples": [1, 50]],
            "concurrency": ["type": "integer", "title": "Requests in flight", "default": 1, "minimum": 1, "maximum": 32,
                            "description": "Requests sent at once (1 keeps the records' order).", "examples": [4]],
            "idempotency_header": [
                "type": "object", "title": "Idempotency header", "additionalProperties": false,
                "required": ["name", "value"],
                "description": "A header whose value (the same on every retry) lets the API drop a repeated request.",
                "properties": [
                    "name": ["type": "string", "title": "Header", "minLength": 1, "description": "The header's name.",
                             "examples": ["Idempotency-Key"]],
                    "value": ["type": "string", "title": "Value", "minLength": 1,
                              "description": "A JSONata expression on the record (or the array), e.g. the order id.",
                              "examples": ["\"order-\" & id"]],
                ],
            ],
            "result": ["type": "string", "title": "Result", "minLength": 1,
                       "description": .string("A JSONata projection of the response body kept as the record's result "
                        + "($status is "
                        + "the status); with batch_size > 1, an array of one item per record is split over them. "
                        + "Default: the response body."), "examples": ["{\"id\": id, \"status\": $status}"]],
            "auth": HTTPAuthConfig.schema,
            "max_attempts": ["type": "integer", "title": "Attempts", "default": 6, "minimum": 1, "maximum": 20,
                             "description": .string("Attempts per request for 429, 408, 5xx and connection errors; "
                                + "without idempotency_header a POST or PATCH is sent again only after a 429 or 503 "
                                + "with Retry-After or a connection that could not be opened."), "examples": [6]],
            "timeout_seconds": ["type": "number", "title": "Timeout", "default": 60, "minimum": 1, "maximum": 600,
                                "description": "Seconds one request may take, its whole answer included.",
                                "examples": [60]],
            "max_response_mib": ["type": "integer", "title": "Response cap", "default": 16, "minimum": 1, "maximum": 1024,
                                 "description": "The largest response body, in MiB.", "examples": [16]],
        ],
    ]
}
