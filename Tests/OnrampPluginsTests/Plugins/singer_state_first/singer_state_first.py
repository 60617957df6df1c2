#!/usr/bin/env python3
"""singer_state_first: a Singer tap that emits STATE before the records it covers, then fails (failure tests).

Emits SCHEMA, STATE {"bookmarks": {"items": {"id": 10}}}, RECORDs 1..10, says "singer_state_first: giving up" on
stderr and exits 1: the STATE must not be committed. --discover prints the catalog.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from singer_test_tap import STREAM, arguments, emit, record, schema  # noqa: E402


def main():
    arguments("singer_state_first", "A Singer tap that emits its STATE too early and exits 1.")
    schema()
    emit({"type": "STATE", "value": {"bookmarks": {STREAM: {"id": 10}}}})
    for item in range(1, 11):
        record(item)
    sys.stdout.flush()
    print("singer_state_first: giving up", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
