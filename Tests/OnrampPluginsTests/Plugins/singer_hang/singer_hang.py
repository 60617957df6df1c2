#!/usr/bin/env python3
"""singer_hang: a Singer tap that stops talking, for Onramp's timeout tests (stream `items`).

Emits SCHEMA and 2 RECORDs, says "singer_hang: waiting forever" on stderr, then sleeps and never exits by itself.
Config {"ignore_sigterm": true} makes it ignore SIGTERM too (only SIGKILL ends it). --discover prints the catalog.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from singer_test_tap import arguments, record, schema  # noqa: E402


def main():
    args = arguments("singer_hang", "A Singer tap that hangs after 2 records.")
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
