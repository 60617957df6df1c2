#!/usr/bin/env python3
"""singer_garbage: a Singer tap whose stdout holds malformed lines among valid RECORDs (Onramp's failure tests).

stdout, by line number: 1 SCHEMA; 2 RECORD id 1; 3 not JSON; 4 RECORD 2; 5 a JSON array; 6 RECORD 3; 7 a RECORD
without "record"; 8 RECORD 4; 9 an unknown message type; 10 RECORD 5; 11 a RECORD (id 6) 2 MiB long; 12 RECORD 7;
13 STATE {"bookmarks": {"items": {"id": 7}}}; then exit 0. --discover prints the catalog.
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
        print(f"CRITICAL singer_garbage: cannot read the {what} file {path}: {error}", file=sys.stderr)
        sys.exit(2)


def arguments():
    """The Singer command line; --discover prints the catalog and exits."""
    parser = argparse.ArgumentParser(description="A Singer tap that prints garbage among its records.")
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
    record(1)
    sys.stdout.write("this line is not JSON {\n")
    record(2)
    sys.stdout.write('["RECORD", "items", {"id": 99}]\n')
    record(3)
    emit({"type": "RECORD", "stream": STREAM})
    record(4)
    emit({"type": "BANANA", "stream": STREAM, "record": {"id": 98}})
    record(5)
    head = '{"type":"RECORD","stream":"items","record":{"id":6,"blob":"'
    tail = '"}}'
    sys.stdout.write(head + "x" * (2 * 1024 * 1024 - len(head) - len(tail)) + tail + "\n")
    record(7)
    emit({"type": "STATE", "value": {"bookmarks": {STREAM: {"id": 7}}}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
