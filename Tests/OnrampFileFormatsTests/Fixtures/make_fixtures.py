"""Makes the XLSX and gzip fixtures (run once; the outputs are committed). openpyxl writes inline strings,
xlsxwriter shared strings and formulas with cached values.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install openpyxl xlsxwriter && /tmp/venv/bin/python make_fixtures.py
"""
import datetime as dt
import gzip
import io
import zipfile

import openpyxl
import xlsxwriter
from openpyxl.utils.datetime import CALENDAR_MAC_1904


def orders():
    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = "Summary"
    summary.append(["metric", "value"])
    summary.append(["orders", 3])

    ws = wb.create_sheet("Orders")
    ws.append(["id", "Customer", None, "amount", "paid", "ordered", "at", "time", "builtin", "status", "note"])
    ws.merge_cells("B1:C1")
    rows = [
        [1, "Acme", "Berlin", 12.5, True, dt.date(2024, 2, 29), dt.datetime(2024, 3, 1, 13, 45, 30),
         dt.time(8, 30), dt.date(1900, 1, 1), "ok", "Acme"],
        [2, "Initech", "Paris", 0.1, False, dt.date(1900, 2, 28), dt.datetime(2024, 12, 31, 23, 59, 59),
         dt.time(17, 5, 9), dt.date(1900, 3, 1), "#N/A", "Grüße & <ok>"],
        [],
        [3, "Acme", None, 1234567.89, None, None, None, None, None, None, "Acme"],
    ]
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows(min_row=2):
        row[5].number_format = "yyyy-mm-dd"
        row[6].number_format = "yyyy-mm-dd hh:mm:ss"
        row[7].number_format = "hh:mm:ss"
        row[8].number_format = "mm-dd-yy"  # built-in 14

    titled = wb.create_sheet("Titled")
    titled.append(["Quarterly report"])
    titled.merge_cells("A1:C1")
    titled.append(["region", "q1", "q2"])
    titled.append(["EU", 10, 20])
    wb.save("orders.xlsx")


def dates1904():
    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Dates"
    ws.append(["day", "moment"])
    ws.append([dt.date(2024, 2, 29), dt.datetime(1904, 1, 2, 6, 0)])
    ws["A2"].number_format = "dd/mm/yyyy"
    ws["B2"].number_format = "yyyy-mm-dd hh:mm"
    wb.save("dates1904.xlsx")


def shared():
    wb = xlsxwriter.Workbook("shared.xlsx")
    ws = wb.add_worksheet("Sales")
    day = wb.add_format({"num_format": "d mmm yyyy"})
    ws.write_row(0, 0, ["sku", "qty", "price", "total", "day", "check"])
    ws.write_row(1, 0, ["A-1", 2, 9.99])
    ws.write_formula(1, 3, "=B2*C2", None, 19.98)
    ws.write_datetime(1, 4, dt.datetime(2024, 7, 14), day)
    ws.write_formula(1, 5, "=NA()", None, "#N/A")
    ws.write_row(2, 0, ["A-1", 1, 0.5])
    ws.write_formula(2, 3, "=B3*C3", None, 0.5)
    ws.write_boolean(2, 5, True)
    wb.close()


def gz(name, data):
    with open(name, "wb") as f:
        f.write(gzip.compress(data, mtime=0))


orders()
dates1904()
shared()
gz("orders.csv.gz", b"id,amount\n1,12.50\n2,0.10\n")
gz("orders.ndjson.gz", b'{"id":1}\n{"id":2}\n')
gz("orders.json.gz", b'[{"id":1},{"id":2}]')
gz("orders.xml.gz", b'<?xml version="1.0"?><Orders><Order id="1"/><Order id="2"/></Orders>')
gz("orders.xlsx.gz", open("orders.xlsx", "rb").read())
with open("two-members.csv.gz", "wb") as f:
    f.write(gzip.compress(b"id\n1\n", mtime=0) + gzip.compress(b"2\n3\n", mtime=0))
whole = gzip.compress(b"id\n" + b"1\n" * 5000, mtime=0)
with open("truncated.csv.gz", "wb") as f:
    f.write(whole[: len(whole) // 2])
gz("bomb.csv.gz", b"id\n" + (b"0" * 999 + b"\n") * 1200)
