"""Writes libFuzzer seed corpora into DIR: for jsonata, each conformance case's expression (and
its data, after a NUL byte); for json, the suite's datasets; for csv, a few dialect samples."""
import glob, json, os, sys

target, out = sys.argv[1], sys.argv[2]
suite = os.path.join(os.path.dirname(__file__), "..", "Tests", "OnrampExpressionTests", "Fixtures", "jsonata-suite")
os.makedirs(out, exist_ok=True)
seeds = []
if target == "jsonata":
    datasets = {os.path.basename(p)[:-5]: p for p in glob.glob(os.path.join(suite, "datasets", "*.json"))}
    for path in sorted(glob.glob(os.path.join(suite, "groups", "*", "*.json"))):
        with open(path, encoding="utf-8") as f:
            cases = json.load(f)
        for case in cases if isinstance(cases, list) else [cases]:
            expr = case.get("expr")
            if expr is None and "expr-file" in case:
                with open(os.path.join(os.path.dirname(path), case["expr-file"]), encoding="utf-8") as f:
                    expr = f.read()
            if expr is None:
                continue
            data = case.get("data")
            if data is None and case.get("dataset") in datasets:
                with open(datasets[case["dataset"]], encoding="utf-8") as f:
                    data = json.load(f)
            seed = expr.encode("utf-8", "surrogatepass")
            text = json.dumps(data, separators=(",", ":")).encode() if data is not None else b""
            if len(text) < 4096:
                seed += b"\0" + text if data is not None else b""
            seeds.append(seed)
elif target == "json":
    for path in sorted(glob.glob(os.path.join(suite, "datasets", "*.json"))):
        with open(path, "rb") as f:
            seeds.append(f.read())
elif target == "csv":
    # First byte: dialect and encoding (see Fuzz/CSVFuzz.swift); second: chunk size.
    seeds = [b"\x00\x07id,name\n1,\"a \"\"b\"\"\"\n2,c\r\n", b"\x01\x03a;b\n\"x;y\";\xe9\n",
             b"\x28\x10a,\"b\\\"c\"\n\"multi\nline\",d", b"\x46\x01a\tb\n\x80\x9f\xff\t\"\"\n", b"\x85\x20'a'|'b''c'\n"]
elif target == "xml":
    # First byte: chunk size (see Fuzz/XMLFuzz.swift).
    seeds = [b"\x07<?xml version=\"1.0\"?><Orders><Order id=\"1\"><Total c='EUR'>1&amp;2&#x41;</Total><n/></Order></Orders>",
             b"\x02<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", b"\x05<a><![CDATA[<b>]]><!-- c --><?pi x?></a>",
             b"\x01<r><a x=\"1\" x=\"2\"/><b>&bad;</b>\r\n<c>\xff</c></r>", b"\x03<p:a xmlns:p=\"u\"><p:b>t</p:c></p:a>"]
for i, seed in enumerate(seeds):
    with open(os.path.join(out, "seed%05d" % i), "wb") as f:
        f.write(seed)
print(len(seeds), "seeds")
