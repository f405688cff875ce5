#!/usr/bin/env bash
# Tile VMM/s with 1 and 2 OpenMP threads, sleeping (PASSIVE, xbarsim's
# default) or spinning (ACTIVE) waits, on a quiet machine and beside a
# competing load (one busy-looping process per core, as a second job on a
# laptop or a shared cluster node would be). Usage:
#   benches/threads_under_load.sh [build/core/cli/xbarsim] [extra bench args...]
# Prints one table row per case; results and the command go in BENCHMARKS.md.
set -euo pipefail
exe=${1:-build/core/cli/xbarsim}
shift || true
cores=$(nproc)
load_pids=()
start_load() {
  local k
  for ((k = 0; k < cores; k++)); do
    (while :; do :; done) &
    load_pids+=($!)
  done
}
stop_load() {
  [ ${#load_pids[@]} -eq 0 ] || kill "${load_pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  load_pids=()
}
trap stop_load EXIT
printf '%-8s %-8s %-8s %14s %14s\n' load policy threads "tile VMM/s" "GEMM VMM/s"
for load in quiet loaded; do
  [ "$load" = loaded ] && start_load
  for policy in PASSIVE ACTIVE; do
    for threads in 1 2; do
      out=$(OMP_WAIT_POLICY=$policy OMP_NUM_THREADS=$threads "$exe" bench --batch 64 \
              --seconds 2 "$@" 2>&1)
      tile=$(sed -n 's/.*tile VMM: *\([0-9]*\) VMM\/s.*/\1/p' <<<"$out")
      gemm=$(sed -n 's/.*float GEMM: *\([0-9]*\) VMM\/s.*/\1/p' <<<"$out")
      printf '%-8s %-8s %-8s %14s %14s\n' "$load" "$policy" "$threads" "$tile" "$gemm"
    done
  done
  stop_load
done
