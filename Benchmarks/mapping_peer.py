"""Peer for `onramp-bench mapping`: the same job in plain Python (csv, decimal, datetime, orjson, http.client).

Reads the ERP export (';', decimal commas, DD.MM.YYYY), casts quantity, price and date, refuses lines with a
quantity <= 0, looks each SKU's tax code up in the product table, groups consecutive lines by order, maps each order
to a TAXMAN transaction (country and region codes from names, half-up money rounding on decimals) and writes NDJSON,
or, when the third argument is a URL, sends batches of 100 with 8 threads to the sandbox.
Prints `python mapping -> TARGET: N lines/s, M transactions/s, client CPU X ms per 1,000 transactions`.
Usage: python mapping_peer.py EXPORT_CSV PRODUCTS_CSV OUTPUT_NDJSON|SANDBOX_URL
"""
import csv
import datetime
import http.client
import itertools
import queue
import resource
import sys
import threading
import time
import urllib.parse
from decimal import ROUND_HALF_UP, Decimal

import orjson

COUNTRIES = {"united states": "US", "usa": "US", "u.s.a.": "US", "canada": "CA", "deutschland": "DE", "germany": "DE"}
REGIONS = {("US", "new york"): "NY", ("US", "texas"): "TX", ("US", "california"): "CA", ("CA", "ontario"): "ON",
           ("CA", "british columbia"): "BC", ("DE", "bayern"): "BY"}
CENT = Decimal("0.01")


def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def decimal(text, comma=False):
    if comma:
        text = text.replace(".", "").replace(",", ".")
    return Decimal(text.strip())


def transactions(export, products):
    with open(products, newline="") as f:
        tax = {r["sku"]: r["tax_code"] for r in csv.DictReader(f)}
    lines = 0
    with open(export, newline="", encoding="utf-8") as f:
        for order_no, rows in itertools.groupby(csv.DictReader(f, delimiter=";"), key=lambda r: r["order_no"]):
            out = []
            first = None
            for r in rows:
                lines += 1
                qty = decimal(r["qty"])
                price = decimal(r["unit_price"], comma=True)
                date = datetime.datetime.strptime(r["order_date"], "%d.%m.%Y").date().isoformat()
                if qty <= 0 or not r["order_no"]:
                    continue
                r["date"] = date
                first = first or r
                line = {"number": r["line_no"], "itemCode": r["sku"], "quantity": float(qty),
                        "amount": float((qty * price).quantize(CENT, rounding=ROUND_HALF_UP))}
                if tax.get(r["sku"]):
                    line["taxCode"] = tax[r["sku"]]
                out.append(line)
            if first is None:
                continue
            country = COUNTRIES[first["ship_country"].strip().casefold()]
            yield lines, {
                "transactionId": "ERP-" + order_no, "type": "SalesInvoice", "date": first["date"],
                "currency": first["currency"], "customer": {"id": first["customer"]},
                "shipTo": {"region": REGIONS[(country, first["ship_state"].strip().casefold())], "country": country},
                "lines": out,
            }
    yield lines, None


def to_file(export, products, path):
    n = lines = 0
    with open(path, "wb") as out:
        for lines, tx in transactions(export, products):
            if tx is not None:
                out.write(orjson.dumps(tx) + b"\n")
                n += 1
    return lines, n


def to_sandbox(export, products, url):
    target = urllib.parse.urlsplit(url)
    work = queue.Queue(maxsize=64)
    failures = []

    def sender():
        conn = http.client.HTTPConnection(target.hostname, target.port)
        while (batch := work.get()) is not None:
            body = orjson.dumps({"transactions": batch})
            conn.request("POST", "/v1/transactions/calculate-batch", body,
                         {"Content-Type": "application/json", "Authorization": "Bearer k"})
            answer = conn.getresponse()
            data = answer.read()
            if answer.status != 200:
                failures.append(answer.status)
            else:
                orjson.loads(data)

    threads = [threading.Thread(target=sender) for _ in range(8)]
    for t in threads:
        t.start()
    n = lines = 0
    batch = []
    for lines, tx in transactions(export, products):
        if tx is None:
            break
        tx["idempotencyKey"] = "peer-" + tx["transactionId"]
        batch.append(tx)
        n += 1
        if len(batch) == 100:
            work.put(batch)
            batch = []
    if batch:
        work.put(batch)
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join()
    if failures:
        print(f"peer: {len(failures)} batches failed", file=sys.stderr)
    return lines, n


start, cpu0 = time.perf_counter(), cpu()
export, products, target = sys.argv[1:4]
sandbox = target.startswith("http")
lines, n = to_sandbox(export, products, target) if sandbox else to_file(export, products, target)
elapsed, used = time.perf_counter() - start, cpu() - cpu0
print(f"python mapping -> {'sandbox' if sandbox else 'ndjson file'}: {int(lines / elapsed)} lines/s, {int(n / elapsed)} "
      f"transactions/s ({lines} lines, {n} sent, {elapsed:.2f} s), client CPU {used / max(n, 1) * 1e6:.1f} ms per "
      f"1,000 transactions")
