"""Peer for `onramp-bench csv`: the same job in plain Python (csv module + orjson).

Reads the order-lines CSV, renames order_no/line_no, computes amount = qty * unit_price, and
writes NDJSON. Prints `python csv+orjson: N records/s, peak memory M MiB`.
Usage: python csv_peer.py INPUT_CSV OUTPUT_NDJSON
"""
import csv
import resource
import sys
import time

import orjson

start = time.perf_counter()
n = 0
with open(sys.argv[1], newline="") as f, open(sys.argv[2], "wb") as out:
    for row in csv.DictReader(f):
        row["order"] = row.pop("order_no")
        row["line"] = row.pop("line_no")
        row["amount"] = float(row["qty"]) * float(row["unit_price"])
        out.write(orjson.dumps(row))
        out.write(b"\n")
        n += 1
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"python csv+orjson: {int(n / elapsed)} records/s ({n} in {elapsed:.2f} s), peak memory {int(peak)} MiB")
