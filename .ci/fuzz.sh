#!/usr/bin/env bash
# Fuzzing (issue #8, point 7): builds the cargo-fuzz targets in fuzz/ on the
# stable toolchain (no sanitizer, so no nightly), then runs each briefly
# against the committed corpus. A panic, an abort or a hang in any handler
# fails the script; the input that caused it is kept in
# fuzz/artifacts/<target>/. See docs/fuzzing.md to run longer.
#
#   FUZZ_SECONDS   time per target (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${FUZZ_SECONDS:-20}
targets=(roles_requests forums_requests decisions_requests costmodel_requests agreements_requests)

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# -s none: libFuzzer and coverage instrumentation only, which stable rustc
# supports; -a: debug assertions and overflow checks, so arithmetic that
# would silently wrap in a release build is a crash here.
build_start=$(date +%s)
cargo fuzz build -s none -a
echo "fuzz: build took $(($(date +%s) - build_start)) s"

bin_dir="$root/fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"
work=$(mktemp -d)
# The databases go to memory where there is a /dev/shm: with synchronous
# commits, a disk would bound the executions per second.
db_dir=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work" "$db_dir"' EXIT

run_start=$(date +%s)
total=0
crashes=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/new" "$work/$t/artifacts"
  log="$work/$t.log"
  # New inputs go to a scratch directory (the first one); the committed
  # corpus is only read.
  status=0
  SAMVERKAN_FUZZ_DB_DIR="$db_dir" "$bin_dir/$t" \
    -max_total_time="$seconds" -timeout=60 -print_final_stats=1 \
    -artifact_prefix="$work/$t/artifacts/" \
    "$work/$t/new" "fuzz/corpus/$t" >"$log" 2>&1 || status=$?
  execs=$(awk '/^stat::number_of_executed_units:/ { n = $2 } END { print n + 0 }' "$log")
  found=$(find "$work/$t/artifacts" -type f | wc -l)
  if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    found=$((found > 0 ? found : 1))
    mkdir -p "fuzz/artifacts/$t"
    cp -r "$work/$t/artifacts/." "fuzz/artifacts/$t/" 2>/dev/null || true
    echo "fuzz: $t FAILED (exit $status); the last lines of its log:"
    tail -n 60 "$log"
    echo "fuzz: the failing input is in fuzz/artifacts/$t/"
  fi
  echo "fuzz: $t: $execs executions, $found crashes ($(grep -m1 -o 'samverkan-fuzz: .*' "$log" || echo 'no story line'))"
  total=$((total + execs))
  crashes=$((crashes + found))
done
echo "fuzz: running took $(($(date +%s) - run_start)) s"
echo "fuzz: $total executions, $crashes crashes"
[ "$crashes" -eq 0 ]
