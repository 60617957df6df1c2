/// Every `code` the API's error envelope `{"error": {"code", "message", "field"}}` carries: the API's own codes with
/// their status, and the families of the core's dotted codes that validation and connector failures pass through
/// (`spec.unknown_key`, `config.missing`, `expr.D3030`, …). The `Error` schema's `code` is exactly this list;
/// docs/api.md has it as a table, and a test fails when a handler answers a code not in it.
enum APIErrorCode: String, CaseIterable, Sendable {
    case badJSON = "bad_json", badYAML = "bad_yaml", badRequest = "bad_request"
    case unauthorized
    case forbidden, csrf
    case notFound = "not_found", noRoute = "no_route", notFinished = "not_finished"
    case methodNotAllowed = "method_not_allowed"
    case conflict, archived, testsRequired = "tests_required", noKey = "no_key", fileReserved = "file.reserved"
    case errorQueueState = "error_queue.state", errorQueueReplaying = "error_queue.replaying"
    case replayNothing = "replay.nothing"
    case tooLarge = "too_large"
    case invalid, missing, unknownKey = "unknown_key", unknownParameter = "unknown_parameter", tooMany = "too_many"
    case connectorUnknown = "connector.unknown", connectorDiscover = "connector.discover", filePath = "file.path"
    case errorQueueValueTooLarge = "error_queue.value_too_large"
    case referenceEmpty = "reference.empty", referenceRow = "reference.row", referenceTooLarge = "reference.too_large"
    case replayPipelines = "replay.pipelines", replayTooMany = "replay.too_many"
    case rateLimited = "rate_limited", previewBusy = "preview.busy"
    case internalError = "internal", artifactUnreadable = "artifact.unreadable", errorQueueNoKey = "error_queue.no_key"
    case fileIO = "file.io", referenceCSV = "reference.csv"
    case artifactUnavailable = "artifact.unavailable"
    case pushNotPushSource = "push.not_push_source", pushBatchReused = "push.batch_reused", pushBacklog = "push.backlog"
    case pushUploadOffset = "push.upload_offset", pushUploadBusy = "push.upload_busy", pushUploadChecksum = "push.upload_checksum"
    case agentLimit = "agent.limit"

    var status: Int {
        switch self {
        case .badJSON, .badYAML, .badRequest: 400
        case .unauthorized: 401
        case .forbidden, .csrf: 403
        case .notFound, .noRoute, .notFinished: 404
        case .methodNotAllowed: 405
        case .conflict, .archived, .testsRequired, .noKey, .fileReserved, .errorQueueState, .errorQueueReplaying,
             .replayNothing, .pushNotPushSource, .pushBatchReused, .pushUploadOffset, .pushUploadBusy, .agentLimit: 409
        case .tooLarge: 413
        case .invalid, .missing, .unknownKey, .unknownParameter, .tooMany, .connectorUnknown, .connectorDiscover,
             .filePath, .errorQueueValueTooLarge, .referenceEmpty, .referenceRow, .referenceTooLarge, .replayPipelines,
             .replayTooMany, .pushUploadChecksum: 422
        case .rateLimited, .previewBusy, .pushBacklog: 429
        case .internalError, .artifactUnreadable, .errorQueueNoKey, .fileIO, .referenceCSV: 500
        case .artifactUnavailable: 503
        }
    }

    var meaning: String {
        switch self {
        case .badJSON: "the body is not JSON"
        case .badYAML: "the body is not a YAML document (or not UTF-8)"
        case .badRequest: "the request is malformed (the HTTP layer refused it)"
        case .unauthorized: "no credentials, unknown or revoked API key, expired session, or a wrong password"
        case .forbidden: "the caller's role may not do this"
        case .csrf: "a write made with a session cookie lacks the session's X-CSRF-Token"
        case .notFound: "the resource does not exist or is not the caller's tenant's"
        case .noRoute: "no route has this path"
        case .notFinished: "a run's download exists once the run ends"
        case .methodNotAllowed: "the path exists without this method (Allow lists the methods)"
        case .conflict: "the resource exists already, has finished, or is a folder"
        case .archived: "the pipeline is archived; save it again to use it"
        case .agentLimit: "a pipeline has at most 100 agents; delete one first"
        case .testsRequired: "the version's tests must pass before it runs"
        case .noKey: "the server has no master key for secrets"
        case .fileReserved: "reference tables change only through /reference-tables"
        case .errorQueueState: "the failed record's state does not allow this change"
        case .errorQueueReplaying: "the failed record is being replayed; wait until that run ends"
        case .replayNothing: "no open failed record matches the replay"
        case .tooLarge: "the body is over its size limit"
        case .invalid: "a field's value is not allowed (field names it)"
        case .missing: "a required field is missing (field names it)"
        case .unknownKey: "a key the body may not have (field names it)"
        case .unknownParameter: "a query parameter the route does not take"
        case .tooMany: "more items of a kind than one request may carry"
        case .connectorUnknown: "the connection names a connector this server does not have"
        case .connectorDiscover: "only a source connection can be discovered"
        case .filePath: "the file name is not valid or leaves the tenant's file area"
        case .errorQueueValueTooLarge: "an edited record value is over 256 KiB of JSON"
        case .referenceEmpty: "the uploaded reference table has no rows"
        case .referenceRow: "a row of the uploaded reference table does not read (the message names its line)"
        case .referenceTooLarge: "the uploaded reference table has too many rows"
        case .replayPipelines: "the failed records of one replay come from one pipeline"
        case .replayTooMany: "a replay takes at most 1,000 failed records"
        case .rateLimited: "too many failed sign-ins (Retry-After says when to try again), or an evaluation still running"
        case .previewBusy: "too many previews, checks or test runs are running; try again shortly"
        case .internalError: "the server could not answer; its log has the details"
        case .artifactUnreadable: "a sealed run download cannot be opened with this server's keys"
        case .errorQueueNoKey: "the server has no keyring to open the error queue"
        case .fileIO: "the server could not read or write a file"
        case .referenceCSV: "the server has no csv connector to read reference tables"
        case .artifactUnavailable: "the object store holding run downloads (`--artifacts`) did not answer; try again"
        case .pushNotPushSource: "the push key's pipeline does not read pushed batches (its source.connector is not push)"
        case .pushBatchReused: "the batch id was stored already with other bytes; a new batch needs a new id"
        case .pushBacklog: "the tenant's pushed batches waiting for a run are over their limit; retry after Retry-After"
        case .pushUploadOffset: "the chunk does not start where the upload stands; its Upload-Offset header says where"
        case .pushUploadBusy: "another request is sending a chunk of the same upload"
        case .pushUploadChecksum: "the uploaded bytes do not match the Upload-Checksum announced; the upload is dropped"
        }
    }

    /// The core's dotted code families an answer may carry as they are (422 for a document, a config, a test or a
    /// connector that does not hold; 413 for `file.quota`; 500 when the server's own data fails), with what they cover.
    static let families: [(prefix: String, meaning: String)] = [
        ("spec", "the pipeline document's structure"), ("config", "a connector's or step's config against its schema"),
        ("connector", "a connector's setup"), ("expr", "a JSONata expression (compile or evaluation)"),
        ("egress", "a host the tenant may not reach"), ("secret", "a secret reference or its placement"),
        ("template", "a template's parameters"), ("cron", "a cron expression"), ("test", "a pipeline test document"),
        ("lint", "a lint finding"), ("lookup", "a lookup step's reference table"), ("file", "the tenant's file area"),
        ("source", "a file source's paths"), ("destination", "a destination's protocol"),
        ("page", "a list cursor"), ("preview", "a preview, check or test run in its worker"),
        ("check", "a connection check"), ("plugin", "a Singer or Airbyte plugin"), ("http", "an HTTP destination"),
        ("http_api", "an HTTP API source"), ("https_file", "an HTTPS file source"), ("postgres", "PostgreSQL"),
        ("sqlite", "SQLite"), ("sql", "a SQL source or step"), ("csv", "CSV reading"), ("json", "JSON reading"),
        ("taxman", "the TAXMAN destination"), ("aggregate", "an aggregate step"), ("dedupe", "a dedupe step"),
        ("group", "a group step"), ("sort", "a sort step"), ("cast", "a cast step"), ("clean", "a clean step"),
        ("filter", "a filter step"), ("schema", "schema drift"), ("run", "a run's limits"),
        ("checkpoint", "an incremental checkpoint"), ("artifact", "a run artifact"), ("key", "the server's keyring"),
        ("reference", "a reference table"), ("error_queue", "the error queue"), ("replay", "a replay"),
        ("webhook", "a tenant webhook's url or secret"),
    ]

    /// The pattern a family code matches: `family.rest` (rest as the core writes it, `expr.D3030` included).
    static var familyPattern: String {
        "^(" + families.map(\.prefix).joined(separator: "|") + #")\.[A-Za-z0-9_.]+$"#
    }

    /// Whether `code` is in the documented list (one of the API's codes, or of a core family).
    static func isDocumented(_ code: String) -> Bool {
        APIErrorCode(rawValue: code) != nil || code.range(of: familyPattern, options: .regularExpression) != nil
    }
}
