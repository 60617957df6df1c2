"""Figures for push ingestion and the edge agent, against a real `onramp serve` (use the release binary):
- pushes: N concurrent pushers send batches to PUT /api/v1/push/batches/{id} (stored sealed, synced and recorded
  before each answer); the peer in the same run is the tenant file upload (PUT /tenants/t/files/...: the same bytes
  synced and renamed, no sealing, no store row), with the same concurrency; and the same batches resumable, in 4
  chunks each (PATCH /api/v1/push/uploads/{id}: each chunk sealed and synced before its answer);
- the agent: binary size, and CPU and memory of `onramp agent` idle between runs.
Usage: python3 Benchmarks/push_figures.py PATH-TO-ONRAMP [PUSHERS] [BATCHES-PER-PUSHER] [IDLE-SECONDS]
"""
import concurrent.futures
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from procstat import cpu_seconds, rss_mib

binary = sys.argv[1]
pushers = int(sys.argv[2]) if len(sys.argv) > 2 else 8
per_pusher = int(sys.argv[3]) if len(sys.argv) > 3 else 50
idle_seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 30
admin = "push-figures-admin-key-0123456789abcdef"
data = tempfile.mkdtemp(prefix="onramp-push-figures-")
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
env = dict(os.environ, ONRAMP_ADMIN_KEY=admin)
server = subprocess.Popen([binary, "serve", "--data", data, "--port", str(port), "--workers", "0",
                           "--push-rate", "100000", "--push-burst", "100000", "--max-upload-bytes", str(64 << 20)],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{port}/api/v1"


def call(method, path, body=None, key=admin, raw=None, headers=None):
    h = {"Authorization": f"Bearer {key}"}
    h.update(headers or {})
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, method=method, headers=h, data=payload)
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.status, json.loads(r.read() or b"null")


try:
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except Exception:
            time.sleep(0.1)
    call("POST", "/tenants", {"id": "acme"})
    _, p = call("POST", "/tenants/acme/pipelines", {
        "version": 1, "name": "pushed",
        "source": {"connector": "push", "config": {"format": "ndjson", "run_on_arrival": False}},
        "destination": {"connector": "file", "config": {"path": "out.ndjson"}}})
    _, k = call("POST", f"/tenants/acme/pipelines/{p['id']}/push-keys", {"name": "figures"})
    key = k["key"]
    # A batch: 500 orders of about 130 bytes, 64 KiB.
    batch = "".join(json.dumps({"id": f"ORD-{i}", "date": "2026-12-03", "currency": "EUR", "amount": f"{i % 900}.{i % 100:02d}",
                                "region": "DE-BY", "customer": "Initech GmbH"}) + "\n" for i in range(500)).encode()
    total = pushers * per_pusher

    def push(i):
        status, _ = call("PUT", f"/push/batches/b-{i}", raw=batch, key=key, headers={"Content-Type": "application/x-ndjson"})
        assert status == 201, status

    chunk = (len(batch) + 3) // 4
    checksum = hashlib.sha256(batch).hexdigest()

    def push_chunked(i):
        for offset in range(0, len(batch), chunk):
            headers = {"Content-Type": "application/octet-stream", "Upload-Offset": str(offset),
                       "Upload-Length": str(len(batch))}
            if offset == 0:
                headers["Upload-Checksum"] = "sha256=" + checksum
            status, _ = call("PATCH", f"/push/uploads/c-{i}", raw=batch[offset:offset + chunk], key=key, headers=headers)
            assert status == (201 if offset + chunk >= len(batch) else 202), status

    def upload(i):
        status, _ = call("PUT", f"/tenants/acme/files/peer/u-{i}.ndjson", raw=batch)
        assert status == 200, status

    results = {}
    for name, fn in (("upload", upload), ("push", push), ("chunked", push_chunked)):
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(pushers) as pool:
            list(pool.map(fn, range(total)))
        seconds = time.perf_counter() - started
        results[name] = (total / seconds, total * len(batch) / seconds / (1 << 20))
    _, listed = call("GET", f"/tenants/acme/pipelines/{p['id']}/batches?limit=1")
    assert listed["batches"][0]["sequence"] == 2 * total, listed
    push_rate, push_mb = results["push"]
    up_rate, up_mb = results["upload"]
    print(f"push: {total} batches of {len(batch)} bytes from {pushers} pushers: {push_rate:.0f} batches/s, "
          f"{push_mb:.1f} MiB/s; file upload peer: {up_rate:.0f}/s, {up_mb:.1f} MiB/s; ratio {push_rate / up_rate:.2f}")
    chunked_rate, chunked_mb = results["chunked"]
    print(f"push in 4 chunks each: {chunked_rate:.0f} batches/s, {chunked_mb:.1f} MiB/s; "
          f"ratio to one PUT a batch {chunked_rate / push_rate:.2f}")

    # The agent, idle between runs (a run every hour), after one run of a small export.
    site = tempfile.mkdtemp(prefix="onramp-agent-figures-")
    with open(f"{site}/orders.csv", "w") as f:
        f.write("id,amount\n" + "".join(f"A{i},{i}.50\n" for i in range(1000)))
    with open(f"{site}/agent.json", "w") as f:
        json.dump({"version": 1, "name": "site", "source": {"connector": "csv", "config": {"path": "orders.csv"}},
                   "destination": {"connector": "onramp_push", "config": {"server": f"http://127.0.0.1:{port}"}}}, f)
    agent = subprocess.Popen([binary, "agent", f"{site}/agent.json", "--spool", f"{site}/spool", "--every", "3600"],
                             env=dict(os.environ, ONRAMP_PUSH_KEY=key), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)
    before = cpu_seconds(agent.pid)
    time.sleep(idle_seconds)
    idle_cpu = (cpu_seconds(agent.pid) - before) / idle_seconds * 100
    rss = rss_mib(agent.pid)
    agent.terminate()
    agent.wait(timeout=30)
    status = json.load(open(f"{site}/spool/status.json"))
    shutil.rmtree(site, ignore_errors=True)
    size = os.path.getsize(binary) / (1 << 20)
    print(f"agent: binary {size:.1f} MiB (the whole onramp binary), idle {idle_cpu:.3f}% of one core over {idle_seconds:.0f} s, "
          f"RSS {rss:.1f} MiB after pushing {status['pushed_batches']} batch(es); spool left: {status['spool']['segments']}")
finally:
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(data, ignore_errors=True)
