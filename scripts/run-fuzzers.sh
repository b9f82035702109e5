#!/usr/bin/env bash
# run-fuzzers.sh BUILD_DIR SECONDS: runs every fuzz target built in BUILD_DIR
# (the fuzz preset) for SECONDS each, on a working copy of its corpus seeded
# from fuzz/NAME/corpus. A crash, leak or sanitizer report stops that target,
# keeps the input under BUILD_DIR/findings/NAME and fails the run.
set -euo pipefail
build=${1:?usage: run-fuzzers.sh BUILD_DIR SECONDS}
seconds=${2:?usage: run-fuzzers.sh BUILD_DIR SECONDS}
src=$(cd "$(dirname "$0")/.." && pwd)
status=0
shopt -s nullglob
fuzzers=("$build"/fuzz/*_fuzzer)
if ((${#fuzzers[@]} == 0)); then
  echo "run-fuzzers: no fuzz targets in $build/fuzz (configure and build the fuzz preset)" >&2
  exit 1
fi
for fuzzer in "${fuzzers[@]}"; do
  name=$(basename "$fuzzer" _fuzzer)
  work=$build/fuzz-corpus/$name findings=$build/findings/$name
  mkdir -p "$work" "$findings"
  echo "run-fuzzers: $name for ${seconds}s"
  if ! nice "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$findings/" -print_final_stats=1 \
      "$work" "$src/fuzz/$name/corpus" >"$build/findings/$name.log" 2>&1; then
    echo "run-fuzzers: $name FAILED; see $build/findings/$name.log and $findings/" >&2
    tail -40 "$build/findings/$name.log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^Done' "$build/findings/$name.log" || true
  fi
done
exit $status
