import OnrampCore
import OnrampStore

/// The document's `components/schemas`: every body the API reads or writes, by name. Routes refer to them with
/// `SchemaBuilder.ref(name)`; the API tests check every JSON answer (and every accepted request) against them.
extension OpenAPIDocument {
    typealias S = SchemaBuilder

    static let roles = Role.allCases.map(\.rawValue)
    static let tenantRoles = Role.allCases.filter { !$0.isPlatformWide }.map(\.rawValue)
    static let runStates = RunState.allCases.map(\.rawValue)
    static let errorStates = ErrorEntryState.allCases.map(\.rawValue)
    static let webhookEvents: Value = ["type": "array", "minItems": 1,
                                       "items": S.enumeration(RunState.allCases.filter(\.isFinished).map(\.rawValue))]

    static let schemas: Value.Object = {
        var s = coreSchemas
        for (k, v) in runSchemas { s[k] = v }
        for (k, v) in resourceSchemas { s[k] = v }
        for (k, v) in requestSchemas { s[k] = v }
        for (k, v) in editorSchemas { s[k] = v }
        return s
    }()

    static let coreSchemas: Value.Object = [
        "Cursor": ["type": ["string", "null"],
                   "description": "Opaque: pass it as `cursor` for the next page; null on the last page"],
        "ErrorCode": ["anyOf": [
            S.enumeration(APIErrorCode.allCases.map(\.rawValue)),
            ["type": "string", "pattern": .string(APIErrorCode.familyPattern),
             "description": "A code of a core family (docs/api.md, error codes), passed through as the core reports it"],
        ]],
        "Error": S.object(["error": S.object(["code": S.ref("ErrorCode"), "message": S.string, "field": S.string],
                                             optional: ["field"])]),
        "Status": S.object(["status": S.enumeration(["ok", "ready", "draining"])]),
        "Document": ["type": "object", "description": "A pipeline document (docs/pipeline-reference.md)"],
        "Problem": S.object([
            "severity": S.enumeration(["error", "warning"]), "code": S.string, "message": S.string,
            "field": S.nullableString, "line": S.nullable(S.integer), "column": S.nullable(S.integer),
            "hint": S.nullableString,
        ], description: "A lint finding at its field path (line and column when the document came as text)"),
        "Validation": S.object([
            "valid": S.boolean, "problems": S.array(S.ref("Problem")),
            "error": S.nullable(S.object(["code": S.string, "message": S.string, "field": S.nullableString])),
        ]),
        "DeployValidation": S.object([
            "valid": S.boolean,
            "problems": S.array(S.object([
                "kind": S.enumeration(["connection", "pipeline", "template", "schedule"]), "index": S.count,
                "name": S.nullableString, "code": S.string, "message": S.string, "field": S.nullableString,
            ])),
        ]),
        "Tenant": S.object(["id": S.string, "name": S.string, "created_at": S.dateTime]),
        "TenantList": S.object(["tenants": S.array(S.ref("Tenant"))]),
        "User": S.object(["id": S.string, "email": S.string, "role": S.enumeration(roles),
                          "tenant_id": S.nullableString, "created_at": S.dateTime]),
        "UserCreated": S.extending(S.object(["id": S.string, "email": S.string, "role": S.enumeration(roles),
                                             "tenant_id": S.nullableString, "created_at": S.dateTime]),
                                   ["password": ["type": "string", "description": "Generated; shown once"]],
                                   optional: ["password"]),
        "UserList": S.page("users", S.ref("User")),
        "Login": S.object(["user": S.ref("User"), "csrf_token": S.string]),
        "ApiKey": apiKey,
        "ApiKeyCreated": S.extending(apiKey, ["key": ["type": "string", "description": "The secret; shown once"]]),
        "ApiKeyList": S.page("api_keys", S.ref("ApiKey")),
        "PushKey": pushKey,
        "PushKeyCreated": S.extending(pushKey, ["key": ["type": "string", "description": "The secret (onp_…); shown once"]]),
        "PushKeyList": S.page("push_keys", S.ref("PushKey")),
        "Agent": agent,
        "AgentCreated": S.extending(agent, ["enrolment_token": ["type": "string", "description": "The one-time token (one_…); shown once"]]),
        "AgentList": S.page("agents", S.ref("Agent")),
        "AgentEnrolled": S.object(["agent_id": S.string, "pipeline_id": S.string, "push_key": S.string]),
        "AgentHeartbeat": S.object(["run_requested": S.boolean, "run_requests": S.count, "config_version": S.count,
                                    "config": S.object(["pipeline": S.openObject, "every_seconds": S.number])],
                                   optional: ["config"]),
        "AgentConfig": S.object(["pipeline": S.openObject, "every_seconds": ["type": "number", "minimum": 1, "maximum": 86400]],
                                optional: ["every_seconds"]),
        "AgentConfigVersion": S.object(["version": S.count, "pipeline": S.openObject, "every_seconds": S.number]),
        "PushUpload": S.object(["batch_id": S.string, "offset": S.count, "length": S.count, "expires_at": S.dateTime]),
        "PushBatch": S.object([
            "batch_id": S.string, "sequence": S.count, "state": S.enumeration(["pending", "processed"]), "bytes": S.count,
            "sha256": S.string, "gzip": S.boolean, "received_at": S.dateTime, "run_id": S.nullableString,
            "processed_at": S.nullableDateTime, "duplicate": S.boolean,
        ], optional: ["duplicate"]),
        "PushBatchList": S.page("batches", S.ref("PushBatch"), more: ["pending_bytes": S.count]),
        "Limits": S.object([
            "preview": S.object(["seconds": S.number, "memory_mib": S.count, "max_records": S.count]),
            "upload": S.object(["max_bytes": S.count]), "files": S.object(["quota_bytes": S.count]),
            "push": S.object(["max_batch_bytes": S.count, "max_pending_bytes": S.count, "rate": S.number, "burst": S.number]),
            "run": S.object(["memory_mib": S.count, "wall_seconds": S.number, "max_records_read": S.count,
                             "max_output_bytes": S.count, "max_attempts": S.count, "per_tenant_concurrency": S.count]),
        ], optional: ["run"]),
        "CatalogEntry": S.object([
            "kind": S.enumeration(["source", "destination", "step"]), "name": S.string, "summary": S.string,
            "config_schema": S.openObject, "incremental_schema": S.nullable(S.openObject),
        ], optional: ["incremental_schema"], closed: false),
        "Catalog": S.object(["connectors": S.array(S.ref("CatalogEntry"))]),
        "Preview": ["type": "object", "required": ["source", "errors"],
                    "description": "Records after each step: `source`, then one key per step (`steps[0].set`)",
                    "properties": ["source": S.array(S.any), "errors": S.array(S.openObject),
                                   "dry_run": S.object(["target": S.string, "answers": S.array(S.openObject)])],
                    "additionalProperties": S.array(S.any)],
    ]

    static let apiKey = S.object(["id": S.string, "name": S.string, "role": S.enumeration(roles),
                                  "tenant_id": S.nullableString, "created_at": S.dateTime,
                                  "revoked_at": S.nullableDateTime])

    static let agent = S.object([
        "id": S.string, "name": S.string, "pipeline_id": S.string, "enrolled": S.boolean,
        "enrolment_expires_at": S.nullableDateTime, "created_at": S.dateTime, "last_seen_at": S.nullableDateTime,
        "status": S.nullable(S.openObject), "run_requested": S.boolean, "run_requests": S.count, "config_version": S.count,
        "config_version_seen": S.count,
    ])

    static let pushKey = S.object(["id": S.string, "name": S.string, "pipeline_id": S.string, "created_at": S.dateTime,
                                   "revoked_at": S.nullableDateTime])

    static let pipelineVersion: Value.Object = [
        "id": S.string, "tenant_id": S.string, "name": S.string, "version": ["type": "integer", "minimum": 1],
        "created_at": S.dateTime, "archived_at": S.nullableDateTime,
    ]

    static let runSchemas: Value.Object = [
        "PipelineVersion": S.object(pipelineVersion, description: "A pipeline version without its document"),
        "Pipeline": S.extending(S.object(pipelineVersion), ["document": S.ref("Document")]),
        "PipelineList": S.page("pipelines", S.ref("PipelineVersion")),
        "PipelineVersionList": S.object(["versions": S.array(S.ref("PipelineVersion"))]),
        "RunState": S.enumeration(runStates),
        "StageCounts": S.object(["extract": S.count, "transform": S.count, "load": S.count]),
        "RunSummary": S.object([
            "pipeline": S.nullableString, "records_read": S.count, "records_written": S.count,
            "records_failed": S.count, "records_routed": S.count, "warnings": S.count,
            "failed_by_stage": S.ref("StageCounts"),
            "error_groups": S.array(S.object([
                "stage": S.enumeration(["extract", "transform", "load"]), "step": S.nullableString, "code": S.string,
                "field": S.nullableString, "severity": S.enumeration(["error", "warning"]), "count": S.count,
                "example": S.string,
            ])),
            "reconciliation": S.object(Value.Object(uniqueKeysWithValues: [
                "rows_read", "records", "sent", "accepted", "refused", "routed", "routed_refused",
            ].map { ($0, S.count) })),
            "seconds": S.number, "failure_reason": S.nullableString,
            "error_queue": ["type": "object", "required": ["queued", "not_queued"],
                            "properties": ["queued": S.count, "not_queued": S.count]],
            "schema_drift": S.nullable(S.object([
                "added": S.array(S.string), "removed": S.array(S.string), "optional": S.array(S.string),
                "changed": S.array(S.object(["field": S.string, "was": S.array(S.string), "now": S.array(S.string)])),
            ])),
            "outputs": S.object(["results": S.string, "errors": S.string, "reconciliation": S.string, "log": S.string],
                                optional: ["results", "errors", "reconciliation", "log"]),
        ]),
        "RunProgress": S.object([
            "read": S.count, "written": S.count, "failed": S.count, "seconds": S.number,
            "fraction": S.nullable(["type": "number", "minimum": 0, "maximum": 1]), "seconds_left": S.nullable(S.number),
        ], closed: false),
        "Run": S.object([
            "id": S.string, "tenant_id": S.string, "pipeline_id": S.string, "pipeline_version": S.integer,
            "trigger": S.string, "full_resync": S.boolean, "state": S.ref("RunState"), "created_at": S.dateTime,
            "started_at": S.nullableDateTime, "finished_at": S.nullableDateTime, "attempts": S.count,
            "cancel_requested": S.boolean, "attempt_errors": S.array(S.string),
            "kind": S.enumeration(["pipeline", "replay"]), "origin": S.nullableString,
            "summary": S.ref("RunSummary"), "progress": S.nullable(S.ref("RunProgress")),
            "webhooks": S.nullable(S.ref("RunWebhooks")),
            "not_before": S.nullableDateTime,
        ]),
        "RunWebhooks": S.object([
            "state": S.enumeration(["pending", "delivered", "abandoned"]), "attempts": S.count,
            "sent": S.array(S.enumeration(["pipeline", "tenant"])), "last_error": S.nullableString,
            "next_attempt_at": S.nullableDateTime,
        ]),
        "RunList": S.page("runs", S.ref("Run")),
        "RunErrors": S.object(["errors": S.array(S.openObject), "total": S.count, "next_offset": S.nullable(S.count)]),
        "ErrorEntry": S.object([
            "id": S.string, "run_id": S.string, "pipeline_id": S.string, "pipeline_version": S.integer,
            "stage": S.enumeration(["extract", "transform", "load"]), "step": S.nullableString, "code": S.string,
            "message": S.string, "field": S.nullableString, "file": S.nullableString, "line": S.nullable(S.integer),
            "key": S.nullableString, "reentry_step": S.nullable(S.integer), "state": S.enumeration(errorStates),
            "replay_run_id": S.nullableString, "origin_id": S.nullableString, "edited_by": S.nullableString,
            "edited_at": S.nullableDateTime, "created_at": S.dateTime, "updated_at": S.dateTime,
            "value": ["description": "The failed record's value (only on a single entry)"],
        ], optional: ["value"]),
        "ErrorEntryList": S.page("errors", S.ref("ErrorEntry")),
        "ErrorGroup": S.object(["code": S.string, "step": S.nullableString, "field": S.nullableString,
                                "count": S.count, "label": S.string]),
        "ErrorGroupList": S.object(["groups": S.array(S.ref("ErrorGroup"))]),
        "Schedule": S.object([
            "id": S.string, "tenant_id": S.string, "pipeline_id": S.string, "cron": S.string, "timezone": S.string,
            "enabled": S.boolean, "created_at": S.dateTime, "last_fired_at": S.nullableDateTime,
            "next_fire_times": ["type": "array", "items": S.dateTime, "maxItems": 5],
        ]),
        "ScheduleList": S.page("schedules", S.ref("Schedule")),
        "PipelineTestRun": S.object(["passed": S.boolean, "cases": S.count, "failed": S.count, "at": S.dateTime,
                                     "results": S.array(S.object(["name": S.string, "passed": S.boolean,
                                                                  "failures": S.array(S.string)], closed: false))]),
        "PipelineTests": S.object([
            "pipeline_id": S.string, "version": S.integer, "required": S.boolean, "updated_at": S.dateTime,
            "allows_runs": S.boolean, "last_run": S.nullable(S.ref("PipelineTestRun")), "document": S.openObject,
        ]),
    ]

    static let resourceSchemas: Value.Object = [
        "Secret": S.object(["name": S.string, "updated_at": S.dateTime, "origins": S.array(S.string)]),
        "SecretList": S.object(["secrets": S.array(S.ref("Secret"))]),
        "Connection": S.object(["name": S.string, "connector": S.string, "config": S.openObject,
                                "updated_at": S.dateTime]),
        "ConnectionList": S.page("connections", S.ref("Connection")),
        "ConnectionCheck": ["oneOf": [
            S.object(["ok": ["const": true], "message": S.string]),
            S.object(["ok": ["const": false], "code": S.string, "message": S.string, "field": S.nullableString]),
        ]],
        "Discovery": S.object(["streams": S.array(S.object([
            "name": S.string, "kind": S.enumeration(["table", "view", "resource", "file", "sheet", "query"]),
            "fields": S.array(S.object(["name": S.string, "type": S.string, "source_type": S.string,
                                        "nullable": S.boolean], optional: ["source_type"])),
            "primary_key": S.array(S.string), "cursor_field": S.array(S.string),
        ]))]),
        "Template": S.object([
            "name": S.string, "description": S.string, "parameters": S.array(S.string), "updated_at": S.dateTime,
            "builtin": S.boolean,
            "parameter_details": S.array(S.object(["name": S.string, "description": S.string, "example": S.string])),
            "document": S.ref("Document"),
        ], optional: ["parameter_details", "document"]),
        "TemplateList": S.object(["templates": S.array(S.ref("Template"))]),
        "AuditEntry": S.object([
            "id": S.string, "at": S.dateTime, "tenant_id": S.nullableString,
            "actor": S.object(["type": S.string, "id": S.string, "name": S.string]),
            "action": S.string, "resource_type": S.string, "resource_id": S.nullableString, "status": S.integer,
        ]),
        "AuditList": S.page("entries", S.ref("AuditEntry")),
        "File": S.object(["path": S.string, "size": S.count, "modified_at": S.dateTime,
                          "read_by": S.array(S.object(["pipeline_id": S.string, "pipeline": S.string, "changed_since": S.boolean]))],
                         optional: ["read_by"]),
        "FileList": S.page("files", S.ref("File"), more: [
            "truncated": ["type": "boolean", "description": "The area has more files than one listing walks"],
        ]),
        "ReferenceTableVersion": S.object(["version": ["type": "integer", "minimum": 1], "size": S.count,
                                           "modified_at": S.dateTime]),
        "ReferenceTable": S.object(["name": S.string, "latest_version": S.nullable(S.integer),
                                    "versions": S.array(S.ref("ReferenceTableVersion"))]),
        "ReferenceTableList": S.object(["reference_tables": S.array(S.ref("ReferenceTable"))]),
        "ReferenceTableUpload": S.object(["name": S.string, "version": S.integer, "rows": S.count]),
    ]

    static let requestSchemas: Value.Object = [
        "LoginRequest": S.object(["email": S.string, "password": S.string], closed: false),
        "TenantCreate": S.object(["id": ["type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"], "name": S.string],
                                 optional: ["name"], closed: false),
        "UserCreate": S.object(["email": ["type": "string", "pattern": "@"], "role": S.enumeration(tenantRoles),
                                "password": ["type": "string", "minLength": 12]], optional: ["password"], closed: false),
        "AgentCreate": S.object(["name": ["type": "string", "minLength": 1, "maxLength": 200]]),
        "AgentEnrol": S.object(["token": S.string]),
        "PushKeyCreate": S.object(["name": ["type": "string", "minLength": 1, "maxLength": 200]], optional: ["name"]),
        "ApiKeyCreate": S.object(["name": S.string, "role": S.enumeration(tenantRoles)], optional: ["name"],
                                 closed: false),
        "PreviewRequest": S.object(["document": S.ref("Document"),
                                    "limit": ["type": "integer", "minimum": 1, "maximum": 100],
                                    "dry_run": S.nullable(S.enumeration(["sandbox", "configured"])),
                                    "secrets": S.ref("TypedSecrets")],
                                   optional: ["limit", "dry_run", "secrets"], closed: false),
        "TypedSecrets": ["type": "object", "maxProperties": 32,
                         "description": "Secrets typed in a form, not stored: used for this request only",
                         "additionalProperties": S.object(["value": ["type": "string", "maxLength": 65536],
                                                           "origins": ["type": "array", "maxItems": 16, "items": S.string]],
                                                          optional: ["origins"])],
        "ConnectionTry": S.object(["connector": S.string, "config": S.openObject, "secrets": S.ref("TypedSecrets")],
                                  optional: ["config", "secrets"]),
        "RunCreate": S.object(["full_resync": S.boolean, "version": ["type": "integer", "minimum": 1]],
                              optional: ["full_resync", "version"], closed: false),
        "WebhookPut": S.object(["url": S.string, "secret": S.string, "events": webhookEvents, "enabled": S.boolean],
                               optional: ["events", "enabled"]),
        "Webhook": S.object(["url": S.string, "secret": S.string, "events": webhookEvents, "enabled": S.boolean,
                             "updated_at": S.dateTime]),
        "ErrorValueEdit": S.object(["value": S.any], closed: false),
        "ErrorStateChange": S.object(["state": S.enumeration(["ignored", "open"])], closed: false),
        "ReplayRequest": ["anyOf": [
            S.object(["ids": ["type": "array", "items": S.string, "minItems": 1, "maxItems": 1000]], closed: false),
            S.object(["filter": S.object(["run_id": S.string, "pipeline_id": S.string, "code": S.string,
                                          "step": S.string, "search": S.string],
                                         optional: ["run_id", "pipeline_id", "code", "step", "search"])],
                     closed: false),
        ]],
        "ScheduleCreate": S.object(["cron": S.string, "timezone": S.string, "enabled": S.boolean],
                                   optional: ["timezone", "enabled"]),
        "ScheduleChange": S.object(["cron": S.string, "timezone": S.string, "enabled": S.boolean],
                                   optional: ["cron", "timezone", "enabled"]),
        "SecretPut": S.object(["value": S.string, "origins": S.nullable(["type": "array", "items": S.string,
                                                                          "maxItems": 16])],
                              optional: ["origins"], closed: false),
        "ConnectionPut": S.object(["connector": S.string, "config": S.openObject], optional: ["config"],
                                  closed: false),
        "TemplatePut": S.object(["description": S.string, "document": S.ref("Document")], optional: ["description"],
                                closed: false),
        "Onboard": S.object(["name": S.string, "parameters": ["type": "object",
                                                              "additionalProperties": ["type": ["string", "number",
                                                                                                "boolean"]]]],
                            optional: ["parameters"], closed: false),
        "DeployRequest": S.object([
            "connections": S.array(S.openObject), "removed_connections": S.array(S.string),
            "pipelines": S.array(S.ref("Document")), "templates": S.array(S.openObject),
            "schedules": S.array(S.openObject),
        ], optional: ["connections", "removed_connections", "pipelines", "templates", "schedules"]),
    ]

    /// The caller, the schedule preview and the expression editor's routes.
    static let editorSchemas: Value.Object = [
        "Me": S.object([
            "principal": S.object(["kind": S.enumeration(["session", "api_key"]), "id": S.string, "name": S.string,
                                   "role": S.enumeration(roles), "tenant_id": S.nullableString]),
            "csrf_token": ["type": ["string", "null"], "description": "A session's CSRF token (null for an API key)"],
        ]),
        "PasswordChange": S.object(["current_password": S.string, "new_password": ["type": "string", "minLength": 12, "maxLength": 72]]),
        "SchedulePreviewRequest": S.object(["cron": S.string, "timezone": S.string,
                                            "count": ["type": "integer", "minimum": 1, "maximum": 50]],
                                           optional: ["timezone", "count"]),
        "SchedulePreview": S.object(["next": S.array(S.dateTime)]),
        "ExpressionRequest": S.object(["expression": S.string]),
        "ExpressionEvaluateRequest": S.object(["expression": S.string, "input": S.any], optional: ["input"]),
        "ExpressionError": S.object(["code": S.string, "message": S.string, "position": S.count, "token": S.string],
                                    optional: ["position", "token"]),
        "ExpressionCompiled": ["oneOf": [
            S.object(["ok": ["const": true], "fields": S.array(S.string)]),
            S.object(["ok": ["const": false], "error": S.ref("ExpressionError")]),
        ]],
        "ExpressionEvaluated": ["oneOf": [
            S.object(["ok": ["const": true], "result": ["description": "Absent when the expression is undefined"]],
                     optional: ["result"]),
            S.object(["ok": ["const": false], "error": S.ref("ExpressionError")]),
        ]],
    ]
}
