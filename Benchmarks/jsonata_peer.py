"""Peer for `onramp-bench jsonata`: the same expression and input through jsonata-rs (PyPI).

Prints one line: `jsonata-rs order-mapping: N evaluations/s`.
Usage: python jsonata_peer.py EXPRESSION_FILE INPUT_JSON [SECONDS]
"""
import json
import sys
import time

from jsonata import Jsonata

expr_text = open(sys.argv[1]).read()
data = json.load(open(sys.argv[2]))
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
expr = Jsonata(expr_text)
expr.evaluate(data)
n = 0
start = time.perf_counter()
while time.perf_counter() - start < seconds:
    for _ in range(100):
        expr.evaluate(data)
    n += 100
elapsed = time.perf_counter() - start
print(f"jsonata-rs order-mapping: {int(n / elapsed)} evaluations/s ({n} in {elapsed:.2f} s)")
