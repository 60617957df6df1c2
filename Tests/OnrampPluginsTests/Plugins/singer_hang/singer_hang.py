#!/usr/bin/env python3
"""singer_hang: a Singer tap that stops talking, for Onramp's timeout tests (stream `items`).

Emits SCHEMA and 2 RECORDs, says "singer_hang: waiting forever" on stderr, then sleeps and never exits by itself.
Config {"ignore_sigterm": true} makes it ignore SIGTERM too (only SIGKILL ends it). --discover prints the catalog.
"""
import argparse
import json
import signal
import sys
import time

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
        print(f"CRITICAL singer_hang: cannot read the {what} file {path}: {error}", file=sys.stderr)
        sys.exit(2)


def arguments():
    """The Singer command line; --discover prints the catalog and exits."""
    parser = argparse.ArgumentParser(description="A Singer tap that hangs after 2 records.")
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
    args = arguments()
    if args.config.get("ignore_sigterm") is True:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    schema()
    record(1)
    record(2)
    sys.stdout.flush()
    print("singer_hang: waiting forever", file=sys.stderr, flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
