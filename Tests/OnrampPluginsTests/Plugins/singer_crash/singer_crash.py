#!/usr/bin/env python3
"""singer_crash: a Singer tap that dies mid-stream, for Onramp's failure tests (stream `items`).

Emits SCHEMA, 5 RECORDs, a STATE covering them, 3 more RECORDs, then writes "boom: lost the database" to stderr
and exits 3. Ids start after --state's bookmark {"bookmarks": {"items": {"id": N}}}; --discover prints the catalog.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from singer_test_tap import STREAM, arguments, emit, load, record, schema  # noqa: E402


def main():
    args = arguments("singer_crash", "A Singer tap that crashes after 8 records.")
    state = load("singer_crash", args.state, "state") if args.state else {}
    last = state.get("bookmarks", {}).get(STREAM, {}).get("id", 0)
    schema()
    for item in range(last + 1, last + 9):
        record(item)
        if item == last + 5:
            emit({"type": "STATE", "value": {"bookmarks": {STREAM: {"id": item}}}})
    sys.stdout.flush()
    print("boom: lost the database", file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main())
