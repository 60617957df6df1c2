import OnrampCore

/// The decoded config of the `http_api` source.
struct HTTPAPIConfig: Decodable, Sendable {
    struct Pagination: Decodable, Sendable {
        var type: String
        var pageParam: String
        var startPage: Int
        var pageSizeParam: String?
        var pageSize: Int?
        var offsetParam: String
        var limitParam: String
        var limit: Int
        var cursorPath: String?
        var cursorParam: String
        var nextUrlPath: String?
        var maxPages: Int?
    }

    struct Detail: Decodable, Sendable {
        var url: String
        var into: String
        var recordsPath: String?
        var concurrency: Int
    }

    var url: String
    var method: String
    var headers: [String: String]
    var query: [String: String]
    var body: String?
    var recordsPath: String
    var pagination: Pagination?
    var auth: HTTPAuthConfig?
    var detail: Detail?
    var maxAttempts: Int
    var timeoutSeconds: Double
    var maxResponseMib: Int
}

/// The decoded `incremental` block of `http_api`.
struct HTTPAPIIncremental: Decodable, Sendable {
    var cursorField: String
    var param: String
    var key: String
    var start: String?
}

extension HTTPAPIConfig {
    /// The pages one read may take unless `pagination.max_pages` says otherwise.
    static let defaultMaxPages = 10_000

    static let paginationSchema: Value = [
        "type": "object", "title": "Pagination", "additionalProperties": false,
        "description": "How the next page is asked for. Every style stops at an empty page.",
        "properties": [
            "type": ["type": "string", "title": "Style", "default": "none",
                     "enum": ["none", "page", "offset", "cursor", "link_header", "next_url"],
                     "description": .string("page: a page number; offset: offset/limit; cursor: a token from the body "
                        + "sent back "
                        + "as a query parameter; link_header: the Link header's rel=\"next\"; next_url: a URL in the body."),
                     "examples": ["link_header"]],
            "page_param": ["type": "string", "title": "Page parameter", "default": "page", "minLength": 1,
                           "description": "page: the query parameter of the page number.", "examples": ["page"]],
            "start_page": ["type": "integer", "title": "First page", "default": 1, "minimum": 0,
                           "description": "page: the number of the first page.", "examples": [1]],
            "page_size_param": ["type": "string", "title": "Page size parameter", "minLength": 1,
                                "description": "page: the query parameter of the page size (sent when page_size is set).",
                                "examples": ["per_page"]],
            "page_size": ["type": "integer", "title": "Page size", "minimum": 1,
                          "description": "page: the page size asked for.", "examples": [100]],
            "offset_param": ["type": "string", "title": "Offset parameter", "default": "offset", "minLength": 1,
                             "description": "offset: the query parameter of the offset.", "examples": ["offset"]],
            "limit_param": ["type": "string", "title": "Limit parameter", "default": "limit", "minLength": 1,
                            "description": "offset: the query parameter of the page size.", "examples": ["limit"]],
            "limit": ["type": "integer", "title": "Limit", "default": 100, "minimum": 1,
                      "description": "offset: records per page; the offset grows by the records each page holds.",
                      "examples": [100]],
            "cursor_path": ["type": "string", "title": "Cursor path", "minLength": 1,
                            "description": .string("cursor: a JSONata expression giving the next token from the body "
                                + "(none, null or \"\": the last page)."), "examples": ["meta.next_cursor"]],
            "cursor_param": ["type": "string", "title": "Cursor parameter", "default": "cursor", "minLength": 1,
                             "description": "cursor: the query parameter the token is sent back in.", "examples": ["cursor"]],
            "next_url_path": ["type": "string", "title": "Next URL path", "minLength": 1,
                              "description": .string("next_url: a JSONata expression giving the next page's URL from the body "
                                + "(absolute or relative; none or null: the last page)."), "examples": ["links.next"]],
            "max_pages": ["type": "integer", "title": "Page limit", "minimum": 1,
                          "default": .number(Double(defaultMaxPages)),
                          "description": "Fail the run after this many pages (a guard against an endless loop).",
                          "examples": [10000]],
        ],
    ]

    static let schema: Value = [
        "type": "object", "additionalProperties": false, "required": ["url"],
        "properties": [
            "url": ["type": "string", "title": "URL", "minLength": 1, "pattern": "^https?://", "x-origin": true,
                    "description": "The list endpoint (the first page).", "examples": ["https://erp.example/api/orders"]],
            "method": ["type": "string", "title": "Method", "enum": ["GET", "POST"], "default": "GET",
                       "description": "GET, or POST for search endpoints (with body).", "examples": ["GET"]],
            "headers": ["type": "object", "title": "Headers", "default": [:],
                        "additionalProperties": ["type": "string"],
                        "description": "Extra request headers (no secrets: put credentials in auth).",
                        "examples": [["Accept-Language": "en"]]],
            "query": ["type": "object", "title": "Query parameters", "default": [:],
                      "additionalProperties": ["type": "string"],
                      "description": "Query parameters sent with every page.", "examples": [["status": "any"]]],
            "body": ["type": "string", "title": "Request body",
                     "description": "POST: the JSON body, as JSON text.", "examples": ["{\"status\": \"open\"}"]],
            "records_path": ["type": "string", "title": "Records path", "default": "$", "minLength": 1,
                             "description": "A JSONata expression giving the records (objects) of one response body.",
                             "examples": ["orders", "data.items"]],
            "pagination": paginationSchema,
            "auth": HTTPAuthConfig.schema,
            "detail": [
                "type": "object", "title": "Detail request", "additionalProperties": false, "required": ["url", "into"],
                "description": "One more request per record; its answer is put into a field of the record.",
                "properties": [
                    "url": ["type": "string", "title": "URL template", "minLength": 1,
                            "description": .string("Absolute, or relative to url; {expression} is a JSONata expression on the "
                                + "record, percent-encoded."), "examples": ["/orders/{id}/lines"]],
                    "into": ["type": "string", "title": "Field", "minLength": 1,
                             "description": "The field the answer goes into.", "examples": ["lines"]],
                    "records_path": ["type": "string", "title": "Answer path", "minLength": 1,
                                     "description": "A JSONata expression on the answer (default: all of it).",
                                     "examples": ["lines"]],
                    "concurrency": ["type": "integer", "title": "Requests in flight", "default": 1, "minimum": 1,
                                    "maximum": 16, "description": "Detail requests sent at once.", "examples": [4]],
                ],
            ],
            "max_attempts": ["type": "integer", "title": "Attempts", "default": 6, "minimum": 1, "maximum": 20,
                             "description": "Attempts per request for 429, 408, 5xx and connection errors.",
                             "examples": [6]],
            "timeout_seconds": ["type": "number", "title": "Timeout", "default": 60, "minimum": 1, "maximum": 600,
                                "description": "Seconds one request may take, its whole answer included.",
                                "examples": [60]],
            "max_response_mib": ["type": "integer", "title": "Response cap", "default": 64, "minimum": 1, "maximum": 1024,
                                 "description": "The largest response body, in MiB.", "examples": [64]],
        ],
    ]

    static let incrementalSchema: Value = [
        "type": "object", "additionalProperties": false, "required": ["cursor_field", "param", "key"],
        "description": .string("Reads only what changed since the last run: the API must return records in ascending "
            + "cursor order and include records at exactly the cursor it is sent (>=)."),
        "properties": [
            "cursor_field": ["type": "string", "title": "Cursor field", "minLength": 1,
                             "description": "The record field that grows when a record changes (dots for nested fields).",
                             "examples": ["updated_at", "date_modified_gmt"]],
            "param": ["type": "string", "title": "Query parameter", "minLength": 1,
                      "description": "The query parameter the last cursor is sent in (inclusive).",
                      "examples": ["updated_since", "modified_after", "updated_at_min"]],
            "key": ["type": "string", "title": "Key field", "minLength": 1,
                    "description": "The field that identifies a record (dots for nested fields).", "examples": ["id"]],
            "start": ["type": "string", "title": "First cursor",
                      "description": "The cursor the first run starts from (default: everything).",
                      "examples": ["2026-01-01T00:00:00Z"]],
        ],
    ]
}
