#!/usr/bin/env bash
# Builds the release benchmarks and runs them beside their peers in the same run:
# jsonata-rs (PyPI) for the JSONata expression, Python csv+orjson for the CSV pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${ONRAMP_BENCH_VENV:-.venv-bench}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q jsonata-rs orjson
fi
swift build -c release --product onramp-bench
ONRAMP_BENCH_PYTHON="$VENV/bin/python" .build/release/onramp-bench "${1:-all}"
