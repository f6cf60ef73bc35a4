#!/usr/bin/env bash
# fuzz.sh - run every libFuzzer target for a fixed time from its seeds.
#
#   scripts/fuzz.sh BUILD_DIR [SECONDS_EACH] [TARGET...]
#
# BUILD_DIR is a tree configured with -DNNC_BUILD_FUZZERS=ON (CI: build-san,
# from NNC_SANITIZE=1 NNC_FUZZERS=1 scripts/setup.sh). Each target starts
# from its committed seeds (test/fuzz/corpus/<name>; the parser and sema
# also from every .nn file of examples/, stdlib/ and the tests) in a
# scratch corpus, so the tree is never written. Prints the executions of
# each run and their total; exits non-zero on the first finding, whose
# input is kept as fuzz-findings/crash-* (add it to the target's corpus
# as finding-<hash>, a regression test, once fixed: crash-* is ignored). docs/testing.md says more.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS_EACH] [TARGET...]}" && pwd)"
SECONDS_EACH="${2:-30}"
shift $(( $# > 1 ? 2 : 1 ))
TARGETS=("$@")
if [ "${#TARGETS[@]}" -eq 0 ]; then
  TARGETS=(npy csv idx safetensors train-args parser sema onnx)
fi
FINDINGS="$ROOT/fuzz-findings"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
total=0
for t in "${TARGETS[@]}"; do
  bin="$BUILD/bin/nnc-$t-fuzzer"
  [ -x "$bin" ] || { echo "fuzz: no $bin (configure with NNC_FUZZERS=1)"; exit 2; }
  work="$SCRATCH/$t"
  mkdir -p "$work" "$FINDINGS"
  seeds=("$ROOT/test/fuzz/corpus/$t")
  [ -d "${seeds[0]}" ] || seeds=()
  if [ "$t" = parser ] || [ "$t" = sema ]; then
    # Named by their path: test/parser and test/sema share file names.
    while IFS= read -r -d '' f; do
      rel="${f#"$ROOT"/}"
      cp "$f" "$work/${rel//\//_}"
    done < <(find "$ROOT/examples" "$ROOT/stdlib" "$ROOT/test/parser" \
               "$ROOT/test/sema" "$ROOT/test/robustness" -name '*.nn' -print0)
  fi
  log="$SCRATCH/$t.log"
  # -rss_limit_mb: a reader must not allocate far beyond its input; the
  # sanitizers halt on their first report (-fno-sanitize-recover).
  if ! (cd "$SCRATCH" && "$bin" "$work" "${seeds[@]}" \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=1024 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$FINDINGS/" >"$log" 2>&1); then
    tail -60 "$log"
    echo "fuzz: nnc-$t-fuzzer found a bug; its input is in $FINDINGS/"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "fuzz: nnc-$t-fuzzer ${SECONDS_EACH}s, ${runs:-0} executions, no finding"
  total=$(( total + ${runs:-0} ))
done
echo "fuzz: ${total} executions in all, no finding"
