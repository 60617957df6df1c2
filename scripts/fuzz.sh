#!/usr/bin/env bash
# scripts/fuzz.sh TARGET SECONDS: builds the libFuzzer harness for TARGET (jsonata, csv, json, xml, or
# all) into .build-fuzz/ and runs it for SECONDS each. Exits non-zero when an input crashes, hangs
# or exhausts memory, and prints where that input was saved (.build-fuzz/SANITIZERS/crashes/TARGET/).
# The corpus grows in .build-fuzz/SANITIZERS/corpus/TARGET; the seeds (Fuzz/seeds.py: the conformance
# suite's expressions and datasets) are written to a temporary directory on each run.
# The harnesses compile the module sources directly with swiftc (no Hummingbird/NIO); swift-collections
# comes from the debug build (`swift build --target OnrampCore`, which is quick once built).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:?usage: scripts/fuzz.sh jsonata|csv|json|xml|all SECONDS}
SECS=${2:-20}
# Swift code is memory-safe, so the default looks for traps, stack overflows, hangs and memory blow-ups
# without AddressSanitizer (about 20 times faster); FUZZ_SANITIZERS=fuzzer,address adds it.
SANITIZERS=${FUZZ_SANITIZERS:-fuzzer}
B=.build-fuzz/${SANITIZERS//,/-}
SAN=(-sanitize="$SANITIZERS")
# A secondary thread's 512 KiB of stack for optimized code; ASan's frames are several times larger: 2 MiB.
STACK_KB=${FUZZ_STACK_KB:-$([ "$SANITIZERS" = fuzzer ] && echo 512 || echo 2048)}
mkdir -p "$B/modules"

swift build --target OnrampCore > "$B/deps.log" 2>&1 || { cat "$B/deps.log"; exit 1; }
DEBUG=$(swift build --show-bin-path)
IMPORTS=(-I "$B/modules" -I "$DEBUG/Modules")

# Runs a compile or link quietly (the linker warns about every ASan symbol); shows the log if it fails.
quiet() { "$@" > "$B/build.log" 2>&1 || { grep -v 'Cannot export local symbol' "$B/build.log"; exit 1; }; }

# Rebuilds OUT from the given sources only when one of them is newer.
stale() { local out=$1; shift; [ ! -e "$out" ] || [ -n "$(find "$@" -newer "$out" 2>/dev/null | head -1)" ]; }

collections() {
  local lib="$B/libcollections.a" objs=()
  for m in .build/checkouts/swift-collections/Sources/*/; do
    m=$(basename "$m")
    for o in "$DEBUG/$m.build"/*.o; do [ -e "$o" ] && objs+=("$o"); done
  done
  if stale "$lib" "${objs[@]}"; then rm -f "$lib"; ar rcs "$lib" "${objs[@]}"; fi
}

module() {  # NAME SOURCE_DIR [extra flags]: one optimized, instrumented object and its module
  local name=$1 dir=$2; shift 2
  if stale "$B/$name.o" "$dir"; then
    quiet swiftc -O -wmo -parse-as-library -module-name "$name" "${SAN[@]}" "${IMPORTS[@]}" "$@" \
      -emit-module -emit-module-path "$B/modules/$name.swiftmodule" -c "$dir"/*.swift -o "$B/$name.o"
  fi
}

build() {
  case $1 in
    json)
      collections; module OnrampCore Sources/OnrampCore
      if stale "$B/fuzz-json" Fuzz/JSONFuzz.swift "$B/OnrampCore.o"; then
        quiet swiftc -O -parse-as-library "${SAN[@]}" "${IMPORTS[@]}" Fuzz/JSONFuzz.swift "$B/OnrampCore.o" \
          "$B/libcollections.a" -o "$B/fuzz-json"
      fi ;;
    jsonata)
      collections; module OnrampCore Sources/OnrampCore
      module OnrampExpression Sources/OnrampExpression -enforce-exclusivity=unchecked
      if stale "$B/fuzz-jsonata" Fuzz/JSONataFuzz.swift "$B/OnrampExpression.o" "$B/OnrampCore.o"; then
        quiet swiftc -O -parse-as-library "${SAN[@]}" "${IMPORTS[@]}" Fuzz/JSONataFuzz.swift "$B/OnrampExpression.o" \
          "$B/OnrampCore.o" "$B/libcollections.a" -o "$B/fuzz-jsonata"
      fi ;;
    csv)
      local files=(Fuzz/CSVFuzz.swift Sources/OnrampFileFormats/CSVTokenizer.swift
                   Sources/OnrampFileFormats/TextEncoding.swift)
      if stale "$B/fuzz-csv" "${files[@]}"; then
        quiet swiftc -O -parse-as-library -module-name CSVFuzz "${SAN[@]}" "${files[@]}" -o "$B/fuzz-csv"
      fi ;;
    xml)
      local files=(Fuzz/XMLFuzz.swift Sources/OnrampFileFormats/XMLTokenizer.swift
                   Sources/OnrampFileFormats/XMLTokenizer+Scanning.swift)
      if stale "$B/fuzz-xml" "${files[@]}"; then
        quiet swiftc -O -parse-as-library -module-name XMLFuzz "${SAN[@]}" "${files[@]}" -o "$B/fuzz-xml"
      fi ;;
    *) echo "unknown target $1 (jsonata, csv, json, xml, all)"; exit 2 ;;
  esac
}

run() {
  local name=$1 seeds corpus="$B/corpus/$1" crashes="$B/crashes/$1" extra=()
  seeds=$(mktemp -d /tmp/onramp-fuzz-seeds.XXXXXX)
  mkdir -p "$corpus" "$crashes"
  python3 Fuzz/seeds.py "$name" "$seeds" > /dev/null
  [ "$name" = jsonata ] && extra=(-dict=Fuzz/jsonata.dict)
  echo "fuzz $name: ${SECS}s, $SANITIZERS, ${STACK_KB} KiB stack"
  set +e
  # An input that needs more stack than STACK_KB is a crash here; one running 30 s is a hang (evaluations
  # stop at 100 ms, but a legal 10^7-item result takes seconds to convert on a busy machine).
  (ulimit -s "$STACK_KB"; SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    "$B/fuzz-$name" -max_total_time="$SECS" -timeout=30 -rss_limit_mb=2048 -max_len=4096 \
    -artifact_prefix="$crashes/" -print_final_stats=1 "${extra[@]}" "$corpus" "$seeds") > "$B/$name.log" 2>&1
  local status=$?
  set -e
  rm -rf "$seeds"
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|^(Done|INFO: .*corpus)' \
    "$B/$name.log" | tail -5
  echo "corpus $name: $(ls "$corpus" | wc -l) inputs"
  if [ $status -ne 0 ]; then
    tail -n 40 "$B/$name.log"
    echo "fuzz $name FAILED (exit $status); the input is in: $(ls -t "$crashes"/* 2>/dev/null | head -1)"
    return $status
  fi
}

if [ "$TARGET" = all ]; then TARGETS=(jsonata csv json xml); else TARGETS=("$TARGET"); fi
for t in "${TARGETS[@]}"; do build "$t"; done
for t in "${TARGETS[@]}"; do run "$t"; done
