#!/usr/bin/env python3
"""orders_file: an Onramp-protocol plugin (protocol version 1): a CSV source and an NDJSON destination.

The first stdin line is the request; answers go to stdout, one JSON object per line (docs/plugin-protocol.md).
Standard library only. Exits 0 after answering, 1 when the operation failed, 2 on a malformed request.
"""
import json
import os
import sys
import traceback
from decimal import Decimal

sys.dont_write_bytecode = True  # the plugin's directory may be read-only
from orders_csv import CsvRows, Failure, convert, greater, open_csv, plural, read_header, row_error, \
    seen_before, stream_name  # noqa: E402

PROTOCOL_VERSION = 1
DISCOVER_SAMPLE_ROWS = 10_000
MAX_ERROR_VALUE = 4096
ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

SOURCE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["path"],
    "properties": {
        "path": {
            "type": "string", "minLength": 1, "title": "CSV file",
            "description": "The CSV file to read, with a header row. The plugin runs in a working directory of "
                           "its own: give an absolute path.",
            "examples": ["/data/exports/orders.csv"],
        },
        "cursor_field": {
            "type": "string", "minLength": 1, "default": "id", "title": "Cursor column",
            "description": "Incremental reads take the rows whose value here is greater than the last "
                           "checkpoint's (numbers compare as numbers). The file must grow in this order.",
            "examples": ["id", "updated_at"],
        },
        "delimiter": {
            "type": "string", "minLength": 1, "maxLength": 1, "default": ",", "title": "Delimiter",
            "description": "The one character between fields.",
            "examples": [",", ";", "\t"],
        },
    },
}

INCREMENTAL_SCHEMA = {
    "type": "object", "additionalProperties": False, "properties": {},
    "description": "No options: the cursor column is the cursor_field setting.",
}

DESTINATION_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["path"],
    "properties": {
        "path": {
            "type": "string", "minLength": 1, "title": "NDJSON file",
            "description": "Records are appended here, one JSON object per line; the file and its folders "
                           "are created when missing. Give an absolute path.",
            "examples": ["/data/out/orders.ndjson"],
        },
        "required": {
            "type": "array", "items": {"type": "string", "minLength": 1}, "default": [], "title": "Required fields",
            "description": "A record without one of these fields (or with null there) is refused with "
                           "orders_file.missing_field; the others are written.",
            "examples": [["id", "total"]],
        },
    },
}


def bad_request(message):
    return Failure("orders_file.bad_request", message, status=2)


class Output:
    """stdout, one JSON object per line, written in chunks (PYTHONUNBUFFERED would write every line alone)."""

    def __init__(self, stream):
        self.stream, self.pending, self.size = stream, [], 0

    def send(self, message):
        line = ENCODE(message) + "\n"
        self.pending.append(line.encode("utf-8"))
        self.size += len(line)
        if self.size >= 65536:
            self.flush()

    def flush(self):
        if self.pending:
            self.stream.write(b"".join(self.pending))
            self.pending, self.size = [], 0
        self.stream.flush()


def parse_line(data, number):
    """One stdin line as a message object with a string `type`, or a bad request naming the line."""
    try:
        message = json.loads(data.decode("utf-8"), parse_float=Decimal, parse_constant=reject_constant)
    except UnicodeDecodeError:
        raise bad_request(f"stdin line {number} is not UTF-8") from None
    except (ValueError, RecursionError) as error:
        raise bad_request(f"stdin line {number} is not JSON: {error}") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise bad_request(f'stdin line {number} is not a JSON object with a "type"')
    return message


def reject_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def settings(config, schema):
    """The config checked against `schema` (types, lengths, unknown keys) with defaults filled in."""
    if not isinstance(config, dict):
        raise bad_request('"config" must be a JSON object')
    properties = schema["properties"]
    for key in config:
        if key not in properties:
            raise Failure("orders_file.unknown_setting",
                          f"unknown setting {key!r}; the settings are {', '.join(properties)}", field=key)
    values = {key: json.loads(json.dumps(p["default"])) for key, p in properties.items() if "default" in p}
    for key, value in config.items():
        check_setting(value, properties[key], key)
        values[key] = value
    for key in schema["required"]:
        if key not in values:
            raise Failure("orders_file.missing_setting", f"{key} is required ({properties[key]['title']})",
                          field=key)
    return values


def source_settings(config):
    values = settings(config, SOURCE_SCHEMA)
    if values["delimiter"] in ('"', "\r", "\n"):
        raise Failure("orders_file.bad_setting", "delimiter cannot be a quote or a line break", field="delimiter")
    return values


def check_setting(value, schema, key):
    kind = schema["type"]
    if kind == "string":
        if not isinstance(value, str):
            raise Failure("orders_file.bad_setting", f"{key} must be a string", field=key)
        if len(value) < schema.get("minLength", 0):
            raise Failure("orders_file.bad_setting", f"{key} must not be empty", field=key)
        if len(value) > schema.get("maxLength", len(value)):
            raise Failure("orders_file.bad_setting", f"{key} must be one character", field=key)
    elif kind == "array":
        if not isinstance(value, list):
            raise Failure("orders_file.bad_setting", f"{key} must be a list", field=key)
        for item in value:
            check_setting(item, schema["items"], key)


def spec(request, out):
    version = request.get("protocol_version", PROTOCOL_VERSION)
    if version != PROTOCOL_VERSION:
        raise Failure("orders_file.protocol_version",
                      f"this plugin speaks protocol version {PROTOCOL_VERSION}, not {version}", status=2)
    out.send({"type": "spec", "summary": "A CSV file with a header row as a source; an NDJSON file as a destination.",
              "source": {"config_schema": SOURCE_SCHEMA, "incremental_schema": INCREMENTAL_SCHEMA},
              "destination": {"config_schema": DESTINATION_SCHEMA}})


def check(request, out):
    kind = request.get("kind")
    if kind not in ("source", "destination"):
        raise bad_request('"kind" must be "source" or "destination"')
    try:
        message = check_source(request.get("config")) if kind == "source" else check_destination(request.get("config"))
    except Failure as failure:
        if failure.status == 2:
            raise
        answer = {"type": "check", "ok": False, "message": failure.message}
        if failure.field:
            answer["field"] = failure.field
        out.send(answer)
        return
    out.send({"type": "check", "ok": True, "message": message})


def check_source(config):
    config = source_settings(config)
    path, name = config["path"], os.path.basename(config["path"])
    with open_csv(path) as handle:
        rows = CsvRows(handle, config["delimiter"])
        header = read_header(rows, path)
        count = bad = 0
        for line, _, values, problem in rows:
            count += 1
            bad += row_error(header, line, values, problem) is not None
    message = f"{name}: {plural(count, 'row')}, {plural(len(header), 'column')}"
    if bad:
        message += f" ({plural(bad, 'row')} will be error records)"
    if config["cursor_field"] not in header:
        message += f"; no column {config['cursor_field']!r} for incremental reads (cursor_field)"
    return message


def check_destination(config):
    config = settings(config, DESTINATION_SCHEMA)
    path = config["path"]
    if os.path.isdir(path):
        raise Failure("orders_file.not_a_file", f"{path} is a folder: give a file name in it", field="path")
    if os.path.exists(path):
        if not os.access(path, os.W_OK):
            raise Failure("orders_file.unwritable", f"{path}: permission denied (the plugin cannot append to it)",
                          field="path")
        return f"{path}: records will be appended ({os.path.getsize(path)} bytes now)"
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK | os.X_OK):
        raise Failure("orders_file.unwritable", f"{path}: cannot create it ({folder} is not a writable folder)",
                      field="path")
    return f"{path}: will be created"


def discover(request, out):
    config = source_settings(request.get("config"))
    path = config["path"]
    with open_csv(path) as handle:
        rows = CsvRows(handle, config["delimiter"])
        header = read_header(rows, path)
        integers, sampled = [True] * len(header), 0
        for line, _, values, problem in rows:
            if row_error(header, line, values, problem) is None:
                integers = [seen and isinstance(convert(v), int) for seen, v in zip(integers, values)]
                sampled += 1
                if sampled == DISCOVER_SAMPLE_ROWS:
                    break
    fields = [{"name": column, "type": "integer" if sampled and integer else "string", "source_type": "csv",
               "nullable": False} for column, integer in zip(header, integers)]
    cursor = config["cursor_field"]
    out.send({"type": "discover", "streams": [{
        "name": stream_name(path), "kind": "file", "fields": fields,
        "primary_key": ["id"] if "id" in header else [], "cursor_field": [cursor] if cursor in header else []}]})


def read_options(request):
    """The read request's stream, fields, incremental block, start cursor and batch size, checked."""
    stream, fields, incremental = request.get("stream"), request.get("fields"), request.get("incremental")
    checkpoint, batch_size = request.get("checkpoint"), request.get("batch_size", 1000)
    if stream is not None and not isinstance(stream, str):
        raise bad_request('"stream" must be a string or null')
    if fields is not None and not (isinstance(fields, list) and all(isinstance(f, str) for f in fields)):
        raise bad_request('"fields" must be a list of strings or null')
    if incremental is not None and not isinstance(incremental, dict):
        raise bad_request('"incremental" must be an object or null')
    if incremental:
        raise Failure("orders_file.unknown_setting", f"unknown incremental option {next(iter(incremental))!r}: "
                                                     "there are none (the cursor column is cursor_field)")
    after = None
    if checkpoint is not None:
        if not isinstance(checkpoint, dict) or set(checkpoint) != {"cursor"}:
            raise bad_request('"checkpoint" must be null or {"cursor": ...} as this plugin emitted it')
        after = checkpoint["cursor"]
        if not (after is None or isinstance(after, str) or (isinstance(after, int) and not isinstance(after, bool))):
            raise bad_request('"checkpoint.cursor" must be a string, an integer or null')
    if batch_size is None:
        batch_size = 1000
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise bad_request('"batch_size" must be a positive integer')
    return stream, fields, incremental, after, batch_size


def read(request, out):
    config = source_settings(request.get("config"))
    stream, fields, incremental, after, batch_size = read_options(request)
    path, cursor = config["path"], config["cursor_field"]
    name = os.path.basename(path)
    if stream is not None and stream != stream_name(path):
        raise Failure("orders_file.unknown_stream", f"no stream {stream!r}: {name}'s one stream is "
                                                    f"{stream_name(path)!r}")
    with open_csv(path) as handle:
        rows = CsvRows(handle, config["delimiter"])
        header = read_header(rows, path)
        missing = [f for f in fields or [] if f not in header]
        if missing:
            raise Failure("orders_file.unknown_field", f"{name} has no column {missing[0]!r}; its columns are "
                                                       f"{', '.join(header)}")
        if incremental is not None and cursor not in header:
            raise Failure("orders_file.no_cursor_column", f"{name} has no column {cursor!r} to read incrementally "
                                                          f"by; its columns are {', '.join(header)}",
                          field="cursor_field")
        start = "from the start" if after is None else f"after {cursor} {after}"
        out.send({"type": "log", "level": "info", "message": f"reading {name} {start}"})
        largest, since, checkpoints = after, 0, 0
        for line, raw, values, problem in rows:
            position = {"file": name, "line": line}
            error = row_error(header, line, values, problem)
            record = None if error else dict(zip(header, map(convert, values)))
            if error and after is not None and incremental is not None and seen_before(header, values, cursor, after):
                continue
            if record is not None and incremental is not None:
                value = record[cursor]
                if value == "":
                    error = "orders_file.no_cursor", f"line {line} has no {cursor}, which incremental reads need"
                elif after is not None and not greater(value, after):
                    continue
                else:
                    if since >= batch_size and greater(value, largest):  # never between two equal cursor values
                        out.send({"type": "checkpoint", "checkpoint": {"cursor": largest}})
                        out.flush()
                        since, checkpoints = 0, checkpoints + 1
                    if largest is None or greater(value, largest):
                        largest = value
            if error:
                out.send({"type": "error", "code": error[0], "message": error[1], "position": position,
                          "value": raw[:MAX_ERROR_VALUE]})
                continue
            if fields is not None:
                record = {f: record[f] for f in fields}
            out.send({"type": "record", "record": record, "position": position})
            since += 1
        if incremental is not None and (since or not checkpoints):
            out.send({"type": "checkpoint", "checkpoint": {"cursor": largest}})
    out.send({"type": "done"})


def dump(value):
    """A record as JSON text with its numbers exactly as they arrived."""
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + dump(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(dump, value)) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def outcome(record, required):
    """The record's outcome and, when it is written, its line for the file."""
    if not isinstance(record, dict):
        return {"ok": False, "code": "orders_file.bad_record", "message": "not a JSON object"}, None
    missing = [f for f in required if record.get(f) is None]
    if missing:
        return {"ok": False, "code": "orders_file.missing_field", "message": "missing " + ", ".join(missing)}, None
    try:
        return {"ok": True}, (dump(record) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return {"ok": False, "code": "orders_file.bad_record", "message": "holds a lone surrogate (not Unicode)"}, None


def write(request, out, stdin):
    config = settings(request.get("config"), DESTINATION_SCHEMA)
    path = config["path"]
    try:
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        handle = open(path, "ab")
    except OSError as error:
        raise Failure("orders_file.unwritable", f"{path}: {error.strerror}", field="path") from None
    with handle:
        for number, data in enumerate(stdin, 2):
            message = parse_line(data, number)
            if message["type"] == "close":
                handle.flush()
                os.fsync(handle.fileno())
                out.send({"type": "closed"})
                return
            if message["type"] != "batch" or not isinstance(message.get("records"), list):
                raise bad_request(f'stdin line {number}: expected {{"type":"batch","records":[...]}} or '
                                  f'{{"type":"close"}}, not type {message["type"]!r}')
            answers = [outcome(record, config["required"]) for record in message["records"]]
            try:
                handle.write(b"".join(line for _, line in answers if line))
                handle.flush()
                os.fsync(handle.fileno())
            except OSError as error:
                raise Failure("orders_file.write_failed", f"{path}: {error.strerror}", field="path") from None
            out.send({"type": "outcomes", "outcomes": [answer for answer, _ in answers]})
            out.flush()
    raise bad_request('stdin ended before {"type":"close"} (the records acknowledged so far are on disk)')


def main():
    stdin, out = sys.stdin.buffer, Output(sys.stdout.buffer)
    status = 0
    try:
        first = stdin.readline()
        if not first:
            raise bad_request("stdin was empty: the first line must be the request")
        request = parse_line(first, 1)
        operations = {"spec": spec, "check": check, "discover": discover, "read": read}
        if request["type"] == "write":
            write(request, out, stdin)
        elif request["type"] in operations:
            operations[request["type"]](request, out)
        else:
            raise bad_request(f"unknown request type {request['type']!r}: expected spec, check, discover, "
                              "read or write")
    except Failure as failure:
        answer = {"type": "failure", "code": failure.code, "message": failure.message}
        if failure.field:
            answer["field"] = failure.field
        out.send(answer)
        status = failure.status
    except BrokenPipeError:  # Onramp stopped listening: nobody to answer
        out.pending, status = [], 1
    except Exception as error:  # a bug: the traceback goes to stderr, stdout stays protocol
        traceback.print_exc(file=sys.stderr)
        out.send({"type": "failure", "code": "orders_file.internal", "message": f"internal error: {error!r}"})
        status = 1
    try:
        out.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = status or 1
    return status


if __name__ == "__main__":
    sys.exit(main())
