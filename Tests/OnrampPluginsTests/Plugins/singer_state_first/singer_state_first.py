#!/usr/bin/env python3
"""singer_state_first: a Singer tap that emits STATE before the records it covers, then fails (failure tests).

Emits SCHEMA, STATE {"bookmarks": {"items": {"id": 10}}}, RECORDs 1..10, says "singer_state_first: giving up" on
stderr and exits 1: the STATE must not be committed. --discover prints the catalog.
"""
import argparse
import json
import sys

STREAM = "items"
SCHEMA = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": ["null", "string"]}}}
CATALOG = {"streams": [{"tap_stream_id": STREAM, "stream": STREAM, "schema": SCHEMA, "key_properties": ["id"],
                        "replication_key": "id", "metadata": [{"breadcrumb": [], "metadata": {
                            "table-key-properties": ["id"], "valid-replication-keys": ["id"]}}]}]}


def load(path, what):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        print(f"CRITICAL singer_state_first: cannot read the {what} file {path}: {error}", file=sys.stderr)
        sys.exit(2)


def arguments():
    """The Singer command line; --discover prints the catalog and exits."""
    parser = argparse.ArgumentParser(description="A Singer tap that emits its STATE too early and exits 1.")
    parser.add_argument("--config", required=True)
    parser.add_argument("--state")
    parser.add_argument("--catalog")
    parser.add_argument("--properties")
    parser.add_argument("--discover", action="store_true")
    args = parser.parse_args()
    args.config = load(args.config, "config")
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


def main():
    arguments()
    schema()
    emit({"type": "STATE", "value": {"bookmarks": {STREAM: {"id": 10}}}})
    for item in range(1, 11):
        record(item)
    sys.stdout.flush()
    print("singer_state_first: giving up", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
