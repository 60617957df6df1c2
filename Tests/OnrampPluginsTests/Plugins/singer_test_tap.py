"""What Onramp's Singer test taps share: the `items` stream, the command line, reading the config and state files,
printing messages. Each tap's folder holds its own script; the tests copy this module beside the installed plugins
(a tap finds it in its folder's parent, as it does here)."""
import argparse
import json
import sys

STREAM = "items"
SCHEMA = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": ["null", "string"]}}}
CATALOG = {"streams": [{"tap_stream_id": STREAM, "stream": STREAM, "schema": SCHEMA, "key_properties": ["id"],
                        "replication_key": "id", "metadata": [{"breadcrumb": [], "metadata": {
                            "table-key-properties": ["id"], "valid-replication-keys": ["id"]}}]}]}


def fail(tap, message):
    print(f"CRITICAL {tap}: {message}", file=sys.stderr)
    sys.exit(2)


def load(tap, path, what):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        fail(tap, f"cannot read the {what} file {path}: {error}")


def parse(tap, description):
    """Singer's command line: --config (read here), --state, --catalog/--properties, --discover."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--config", required=True)
    parser.add_argument("--state")
    parser.add_argument("--catalog")
    parser.add_argument("--properties")
    parser.add_argument("--discover", action="store_true")
    args = parser.parse_args()
    args.config = load(tap, args.config, "config")
    return args


def arguments(tap, description):
    """The command line of a tap with the shared catalog: --discover prints it and exits."""
    args = parse(tap, description)
    if args.discover:
        print(json.dumps(CATALOG))
        sys.exit(0)
    return args


def emit(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")


def record(item):
    emit({"type": "RECORD", "stream": STREAM, "record": {"id": item, "name": f"item {item}"}})


def schema():
    emit({"type": "SCHEMA", "stream": STREAM, "schema": SCHEMA, "key_properties": ["id"],
          "bookmark_properties": ["id"]})
