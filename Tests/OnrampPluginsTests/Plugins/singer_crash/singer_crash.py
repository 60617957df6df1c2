#!/usr/bin/env python3
"""singer_crash: a Singer tap that dies mid-stream, for Onramp's failure tests (stream `items`).

Emits SCHEMA, 5 RECORDs, a STATE covering them, 3 more RECORDs, then writes "boom: lost the database" to stderr
and exits 3. Ids start after --state's bookmark {"bookmarks": {"items": {"id": N}}}; --discover prints the catalog.
"""
import argparse
import json
import sys

STREAM = "items"
SCHEMA = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": ["null", "string"]}}}


def load(path, what):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        print(f"CRITICAL singer_crash: cannot read the {what} file {path}: {error}", file=sys.stderr)
        sys.exit(2)


def emit(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")


def main():
    parser = argparse.ArgumentParser(description="A Singer tap that crashes after 8 records.")
    parser.add_argument("--config", required=True)
    parser.add_argument("--state")
    parser.add_argument("--catalog")
    parser.add_argument("--properties")
    parser.add_argument("--discover", action="store_true")
    args = parser.parse_args()
    load(args.config, "config")
    if args.discover:
        print(json.dumps({"streams": [{"tap_stream_id": STREAM, "stream": STREAM, "schema": SCHEMA,
                                       "key_properties": ["id"], "replication_key": "id",
                                       "metadata": [{"breadcrumb": [], "metadata": {
                                           "table-key-properties": ["id"], "valid-replication-keys": ["id"]}}]}]}))
        return 0
    state = load(args.state, "state") if args.state else {}
    last = state.get("bookmarks", {}).get(STREAM, {}).get("id", 0)
    emit({"type": "SCHEMA", "stream": STREAM, "schema": SCHEMA, "key_properties": ["id"],
          "bookmark_properties": ["id"]})
    for item in range(last + 1, last + 9):
        emit({"type": "RECORD", "stream": STREAM, "record": {"id": item, "name": f"item {item}"}})
        if item == last + 5:
            emit({"type": "STATE", "value": {"bookmarks": {STREAM: {"id": item}}}})
    sys.stdout.flush()
    print("boom: lost the database", file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main())
