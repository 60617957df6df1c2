#!/usr/bin/env python3
"""singer_chatty: a Singer tap that never stops talking, for Onramp's wall-clock limit test (stream `items`).

Emits SCHEMA, then a RECORD every 0.2 s and never exits by itself: it is never idle, so only the manifest's
timeout_seconds ends it. --discover prints the catalog.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from singer_test_tap import arguments, record, schema  # noqa: E402


def main():
    arguments("singer_chatty", "A Singer tap that prints a record every 0.2 s forever.")
    schema()
    item = 0
    while True:
        item += 1
        record(item)
        sys.stdout.flush()
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
