"""Peer for `onramp-bench grouped`: the same job in plain Python (csv module + orjson).

Reads the order-lines CSV, groups consecutive lines by order_no, builds one TAXMAN transaction per
order and writes NDJSON. Prints `python grouped csv+orjson: N lines/s, peak memory M MiB`.
Usage: python grouped_peer.py INPUT_CSV OUTPUT_NDJSON
"""
import csv
import itertools
import resource
import sys
import time

import orjson

start = time.perf_counter()
n = 0
with open(sys.argv[1], newline="") as f, open(sys.argv[2], "wb") as out:
    for order_no, rows in itertools.groupby(csv.DictReader(f), key=lambda r: r["order_no"]):
        rows = list(rows)
        n += len(rows)
        first = rows[0]
        out.write(orjson.dumps({
            "transactionId": "ORD-" + order_no,
            "type": "SalesInvoice",
            "date": "2026-11-03",
            "currency": "USD",
            "shipTo": {"country": "US", "region": first["region"]},
            "lines": [{
                "number": r["line_no"],
                "itemCode": r["sku"],
                "quantity": float(r["qty"]),
                "amount": round(float(r["qty"]) * float(r["unit_price"]), 2),
            } for r in rows],
        }))
        out.write(b"\n")
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"python grouped csv+orjson: {int(n / elapsed)} lines/s ({n} in {elapsed:.2f} s), peak memory {int(peak)} MiB")
