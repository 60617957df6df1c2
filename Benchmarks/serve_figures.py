"""Figures for `onramp serve`: idle CPU and memory over a minute, and latency of listing runs with
10,000 runs in the store. Usage: python3 Benchmarks/serve_figures.py PATH-TO-ONRAMP [IDLE_SECONDS]
"""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from procstat import cpu_seconds, rss_mib

binary = sys.argv[1]
idle_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60
data = tempfile.mkdtemp(prefix="onramp-figures-")
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
env = dict(os.environ, ONRAMP_ADMIN_KEY="figures-admin")
server = subprocess.Popen([binary, "serve", "--data", data, "--port", str(port), "--workers", "0"],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{port}"
H = {"Authorization": "Bearer figures-admin"}


def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, headers=H,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


try:
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz"); break
        except Exception:
            time.sleep(0.1)
    time.sleep(1)
    c0 = cpu_seconds(server.pid); t0 = time.time()
    time.sleep(idle_seconds)
    c1 = cpu_seconds(server.pid); t1 = time.time()
    print(f"idle: {100 * (c1 - c0) / (t1 - t0):.2f}% of one core over {t1 - t0:.0f} s, RSS {rss_mib(server.pid):.1f} MiB")

    call("POST", "/api/v1/tenants", {"id": "acme"})
    pipeline = call("POST", "/api/v1/tenants/acme/pipelines", {
        "version": 1, "name": "p",
        "source": {"connector": "csv", "config": {"path": "/nonexistent/*.csv"}},
        "destination": {"connector": "file", "config": {"path": "/tmp/out.ndjson"}}})
    t = time.time()
    for _ in range(10_000):
        call("POST", f"/api/v1/tenants/acme/pipelines/{pipeline['id']}/runs")
    print(f"enqueued 10000 runs in {time.time() - t:.1f} s")
    latencies = []
    for i in range(1000):
        t = time.perf_counter()
        page = call("GET", "/api/v1/tenants/acme/runs?limit=50")
        latencies.append((time.perf_counter() - t) * 1000)
    assert len(page["runs"]) == 50
    latencies.sort()
    print(f"GET /runs?limit=50 with 10000 runs: p50 {statistics.median(latencies):.2f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)]:.2f} ms (1000 requests, one client)")
    print(f"RSS after: {rss_mib(server.pid):.1f} MiB")
finally:
    server.terminate(); server.wait()
    shutil.rmtree(data, ignore_errors=True)
