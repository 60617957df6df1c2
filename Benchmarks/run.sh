#!/usr/bin/env bash
# Builds the release benchmarks and runs them beside their peers in the same run:
# jsonata-rs (PyPI) for the JSONata expression, Python csv+orjson for the CSV and grouped pipelines,
# xml.etree/lxml iterparse for the 1 GB XML file, openpyxl read-only mode for the 1M-row workbook.
# Usage: Benchmarks/run.sh [jsonata|csv|grouped|xml|xlsx|cleansing|mapping|all|postgres|control-plane|push]  (xml, xlsx,
# cleansing, mapping, postgres and control-plane are not part of all; postgres runs Benchmarks/postgres.sh, beside
# psql \copy; control-plane runs 10,000 tenants and 100,000 schedules on a throwaway PostgreSQL beside SQLite;
# push: batches pushed to a release onramp serve beside its file upload, and the edge agent idle)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = postgres ] && exec Benchmarks/postgres.sh
if [ "${1:-}" = push ]; then
  swift build -c release --product onramp
  exec python3 Benchmarks/push_figures.py .build/release/onramp "${PUSHERS:-8}" "${BATCHES:-50}" "${IDLE:-30}"
fi
if [ "${1:-}" = control-plane ]; then
  swift build -c release --product onramp-bench
  PG_TEST_FSYNC=on source scripts/postgres-test.sh  # durable commits, as in production
  trap postgres_test_stop EXIT
  ONRAMP_BENCH_POSTGRES="$ONRAMP_TEST_POSTGRES?sslmode=disable" .build/release/onramp-bench control-plane
  exit
fi
VENV=${ONRAMP_BENCH_VENV:-.venv-bench}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q jsonata-rs orjson
fi
if [ "${1:-all}" = xml ] || [ "${1:-all}" = xlsx ]; then
  "$VENV/bin/python" -c 'import openpyxl, lxml' 2>/dev/null || "$VENV/bin/pip" install -q openpyxl lxml
fi
swift build -c release --product onramp-bench
export ONRAMP_BENCH_PYTHON="$VENV/bin/python"
MODE=${1:-all}
if [ "$MODE" = all ] || [ "$MODE" = grouped ]; then
  [ "$MODE" = all ] && .build/release/onramp-bench jsonata && .build/release/onramp-bench csv
  # The grouped job on one thread (like its Python peer), then on every core.
  ONRAMP_TRANSFORM_THREADS=1 .build/release/onramp-bench grouped
  .build/release/onramp-bench grouped
else
  .build/release/onramp-bench "$MODE"
fi
