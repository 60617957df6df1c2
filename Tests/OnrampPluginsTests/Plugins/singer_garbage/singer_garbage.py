#!/usr/bin/env python3
"""singer_garbage: a Singer tap whose stdout holds malformed lines among valid RECORDs (Onramp's failure tests).

stdout, by line number: 1 SCHEMA; 2 RECORD id 1; 3 not JSON; 4 RECORD 2; 5 a JSON array; 6 RECORD 3; 7 a RECORD
without "record"; 8 RECORD 4; 9 an unknown message type; 10 RECORD 5; 11 a RECORD (id 6) 2 MiB long; 12 RECORD 7;
13 STATE {"bookmarks": {"items": {"id": 7}}}; then exit 0. --discover prints the catalog.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from singer_test_tap import STREAM, arguments, emit, record, schema  # noqa: E402


def main():
    arguments("singer_garbage", "A Singer tap that prints garbage among its records.")
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
