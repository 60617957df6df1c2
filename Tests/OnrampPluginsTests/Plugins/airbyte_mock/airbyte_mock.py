#!/usr/bin/env python3
"""airbyte_mock: an Airbyte-protocol source for Onramp's plugin tests. It never prints api_key.

spec | check --config C | discover --config C | read --config C --catalog CAT [--state S].
Config: {"count": N, "fail": "none"|"check"|"read", "api_key": "...", "state_type": "STREAM"|"GLOBAL"|"LEGACY"}. Streams: `items` (ids 1..count, incremental
by `id`, a state of `state_type` every 10 records and at the end) and `other` (3 rows, full refresh). fail "check": the check
FAILs; fail "read": 5 records, then a TRACE ERROR (system_error, "upstream 500") and exit 1.
"""
import argparse
import json
import sys
import time

SPEC = {
    "documentationUrl": "https://docs.airbyte.com/understanding-airbyte/airbyte-protocol",
    "connectionSpecification": {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Airbyte mock", "type": "object", "required": ["count"], "additionalProperties": False,
        "properties": {
            "count": {"type": "integer", "minimum": 0, "default": 25, "title": "Count",
                      "description": "Records in the items stream (ids 1..count).", "examples": [25], "order": 0},
            "fail": {"type": "string", "enum": ["none", "check", "read"], "default": "none", "title": "Fail",
                     "description": "Where to fail on purpose.", "order": 1},
            "api_key": {"type": "string", "airbyte_secret": True, "title": "API key",
                        "description": "Checked for nothing and never printed.", "order": 2},
            "state_type": {"type": "string", "enum": ["STREAM", "GLOBAL", "LEGACY"], "default": "STREAM",
                           "title": "State type", "description": "The kind of STATE message read sends.", "order": 3},
        },
    },
}
ITEMS = {"name": "items", "supported_sync_modes": ["full_refresh", "incremental"], "source_defined_cursor": True,
         "default_cursor_field": ["id"], "source_defined_primary_key": [["id"]],
         "json_schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {
             "id": {"type": "integer"}, "name": {"type": ["null", "string"]}, "amount": {"type": ["null", "number"]},
             "updated_at": {"type": ["null", "string"], "format": "date-time",
                            "airbyte_type": "timestamp_with_timezone"}}}}
OTHER = {"name": "other", "supported_sync_modes": ["full_refresh"], "source_defined_primary_key": [["key"]],
         "json_schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {
             "key": {"type": "string"}, "label": {"type": ["null", "string"]}}}}
OTHER_ROWS = [{"key": "a", "label": "Alpha"}, {"key": "b", "label": "Beta"}, {"key": "c", "label": "Gamma"}]


def now():
    return int(time.time() * 1000)


def emit(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")


def log(message, level="INFO"):
    emit({"type": "LOG", "log": {"level": level, "message": message}})


def trace_error(message, failure_type, internal):
    error = {"message": message, "internal_message": internal, "failure_type": failure_type}
    if failure_type == "system_error":
        error["stack_trace"] = f"Traceback (most recent call last):\n  airbyte_mock.read\n{internal}\n"
    emit({"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": now(), "error": error}})


def load(path, what):
    """A JSON file, or a config_error trace and exit 1."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        trace_error(f"cannot read the {what} file", "config_error", f"{path}: {error}")
        sys.exit(1)


def config_problem(config):
    """Why the config is wrong, or None. Never quotes api_key."""
    if not isinstance(config, dict):
        return "the config must be a JSON object"
    unknown = sorted(set(config) - set(SPEC["connectionSpecification"]["properties"]))
    if unknown:
        return f"unknown config key {unknown[0]!r}"
    count = config.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        return "count must be a whole number, 0 or more"
    if config.get("fail", "none") not in ("none", "check", "read"):
        return 'fail must be "none", "check" or "read"'
    if not isinstance(config.get("api_key", ""), str):
        return "api_key must be a string"
    if config.get("state_type", "STREAM") not in ("STREAM", "GLOBAL", "LEGACY"):
        return 'state_type must be "STREAM", "GLOBAL" or "LEGACY"'
    return None


def checked_config(path):
    config = load(path, "config")
    problem = config_problem(config)
    if problem:
        trace_error(problem, "config_error", problem)
        sys.exit(1)
    return config


def check(args):
    config = load(args.config, "config")
    problem = config_problem(config)
    if problem is None and config.get("fail") == "check":
        problem = "the mock API refused the credentials (fail: check)"
    if problem:
        emit({"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED", "message": problem}})
    else:
        emit({"type": "CONNECTION_STATUS", "connectionStatus": {
            "status": "SUCCEEDED", "message": f"items: {config['count']} records, other: {len(OTHER_ROWS)}"}})
    return 0


def stream_states(state):
    """The per-stream states of a state file: a list of STREAM/GLOBAL/LEGACY messages or a legacy object."""
    found = {}
    if isinstance(state, dict):
        state = [{"type": "LEGACY", "data": state}]
    for message in state if isinstance(state, list) else []:
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "STREAM":
            stream = message.get("stream", {})
            found[stream.get("stream_descriptor", {}).get("name")] = stream.get("stream_state")
        elif kind == "GLOBAL":
            for stream in message.get("global", {}).get("stream_states", []):
                found[stream.get("stream_descriptor", {}).get("name")] = stream.get("stream_state")
        elif kind in ("LEGACY", None) and isinstance(message.get("data"), dict):
            found.update(message["data"])
    return found


def item(n):
    return {"id": n, "name": f"item {n}", "amount": n + 0.5,
            "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(1767225600 + 60 * n))}


def state_message(last, count, kind="STREAM"):
    if kind == "GLOBAL":
        return {"type": "STATE", "state": {"type": "GLOBAL", "global": {"shared_state": {"cursor": last}, "stream_states": [
            {"stream_descriptor": {"name": "items"}, "stream_state": {"id": last}}]}, "sourceStats": {"recordCount": count}}}
    if kind == "LEGACY":
        return {"type": "STATE", "state": {"data": {"items": {"id": last}}}}
    return {"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": {"name": "items"}, "stream_state": {"id": last}}, "sourceStats": {"recordCount": count}}}


def status(stream, value):
    emit({"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": now(), "stream_status": {
        "stream_descriptor": {"name": stream}, "status": value}}})


def read(args):
    config = checked_config(args.config)
    catalog = load(args.catalog, "catalog")
    states = stream_states(load(args.state, "state")) if args.state else {}
    configured = catalog.get("streams", []) if isinstance(catalog, dict) else []
    names = [entry.get("stream", {}).get("name") for entry in configured]
    for name in names:
        if name not in ("items", "other"):
            trace_error(f"the catalog names a stream this source does not have: {name!r}", "config_error",
                        f"configured streams: {names}")
            return 1
    log(f"Starting syncing SourceAirbyteMock: {', '.join(names)}")
    emitted = 0
    for entry, name in zip(configured, names):
        incremental = name == "items" and entry.get("sync_mode") == "incremental"
        saved = states.get("items") or {}
        after = saved.get("id", 0) if incremental and isinstance(saved, dict) else 0
        if not isinstance(after, int) or isinstance(after, bool) or not isinstance(saved, dict):
            trace_error("the state for items must be {\"id\": N}", "config_error", f"state: {saved!r}")
            return 1
        rows = [item(n) for n in range(after + 1, config["count"] + 1)] if name == "items" else OTHER_ROWS
        emit({"type": "TRACE", "trace": {"type": "ESTIMATE", "emitted_at": now(), "estimate": {
            "name": name, "type": "STREAM", "row_estimate": len(rows)}}})
        status(name, "STARTED")
        log(f"Syncing stream {name} ({'incremental after id ' + str(after) if incremental else 'full refresh'})")
        since = 0
        for row in rows:
            if config.get("fail") == "read" and emitted == 5:
                trace_error("upstream 500", "system_error", "GET /v1/items answered 500 Internal Server Error")
                return 1
            emit({"type": "RECORD", "record": {"stream": name, "data": row, "emitted_at": now()}})
            emitted, since = emitted + 1, since + 1
            if incremental and since == 10:
                emit(state_message(row["id"], since, config.get("state_type", "STREAM")))
                since = 0
        if incremental:
            emit(state_message(rows[-1]["id"] if rows else after, since, config.get("state_type", "STREAM")))
        status(name, "COMPLETE")
        log(f"Read {len(rows)} records from {name}")
    log("Finished syncing SourceAirbyteMock")
    return 0


def main():
    parser = argparse.ArgumentParser(description="A mock Airbyte source.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("spec")
    for name in ("check", "discover", "read"):
        command = commands.add_parser(name)
        command.add_argument("--config", required=True)
        if name == "read":
            command.add_argument("--catalog", required=True)
            command.add_argument("--state")
    args = parser.parse_args()
    if args.command == "spec":
        emit({"type": "SPEC", "spec": SPEC})
        return 0
    if args.command == "check":
        return check(args)
    if args.command == "discover":
        checked_config(args.config)
        emit({"type": "CATALOG", "catalog": {"streams": [ITEMS, OTHER]}})
        return 0
    return read(args)


if __name__ == "__main__":
    sys.exit(main())
