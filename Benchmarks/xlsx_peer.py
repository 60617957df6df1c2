"""Peer for `onramp-bench xlsx`: the same job with openpyxl's read-only mode + orjson.

Reads the first sheet row by row (header row names the columns, dates as ISO 8601) and writes NDJSON.
Prints `python openpyxl read-only+orjson: N records/s (...), peak memory M MiB`.
Usage: python xlsx_peer.py INPUT_XLSX OUTPUT_NDJSON
"""
import datetime
import resource
import sys
import time

import openpyxl
import orjson

start = time.perf_counter()
n = 0
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
ws = wb.worksheets[0]
rows = ws.iter_rows(values_only=True)
header = [str(h) for h in next(rows)]
with open(sys.argv[2], "wb") as out:
    for row in rows:
        record = {}
        for k, v in zip(header, row):
            record[k] = v.isoformat() if isinstance(v, (datetime.date, datetime.datetime)) else v
        out.write(orjson.dumps(record))
        out.write(b"\n")
        n += 1
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"python openpyxl read-only+orjson: {int(n / elapsed)} records/s ({n} in {elapsed:.2f} s), peak memory {int(peak)} MiB")
