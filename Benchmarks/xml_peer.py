"""Peer for `onramp-bench xml`: the same job with Python's iterparse (xml.etree or lxml) + orjson.

Streams the <Order> records (the root cleared after each), maps them by Onramp's rule (@attributes, children,
repeated elements as arrays, #text beside attributes) and writes NDJSON.
Prints `python PARSER iterparse+orjson: N records/s (...), peak memory M MiB`.
Usage: python xml_peer.py etree|lxml INPUT_XML OUTPUT_NDJSON
"""
import resource
import sys
import time

import orjson

if sys.argv[1] == "lxml":
    try:
        from lxml import etree as ET
    except ImportError:
        sys.exit(0)
else:
    import xml.etree.ElementTree as ET


def value(elem, record=False):
    fields = {}
    for k, v in elem.attrib.items():
        fields["@" + k] = v
    for child in elem:
        v = value(child)
        if child.tag in fields:
            if not isinstance(fields[child.tag], list):
                fields[child.tag] = [fields[child.tag]]
            fields[child.tag].append(v)
        else:
            fields[child.tag] = v
    text = elem.text or ""
    if not fields and not record:
        return text if text else None
    if text.strip():
        fields["#text"] = text.strip()
    return fields


start = time.perf_counter()
n = 0
with open(sys.argv[3], "wb") as out:
    context = ET.iterparse(sys.argv[2], events=("start", "end"))
    _, root = next(context)
    for event, elem in context:
        if event == "end" and elem.tag == "Order":
            out.write(orjson.dumps(value(elem, True)))
            out.write(b"\n")
            n += 1
            root.clear()  # drops the finished records: flat memory
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"python {sys.argv[1]} iterparse+orjson: {int(n / elapsed)} records/s ({n} in {elapsed:.2f} s), peak memory {int(peak)} MiB")
