#!/usr/bin/env bash
# One line per step for ./run and ./test: each step's full output goes to a
# log under build/logs/, and a failed step prints the end of its log.
# Sourced by ./run and ./test after scripts/setup.sh.

xbarsim_log_dir=build/logs
mkdir -p "$xbarsim_log_dir"

# xbarsim_step LABEL LOGNAME COMMAND...: runs COMMAND with its output in the log.
xbarsim_step() {
  local label=$1 log="$xbarsim_log_dir/$2.log" start=$SECONDS
  shift 2
  echo "xbarsim: $label (log: $log)" >&2
  if ! "$@" >"$log" 2>&1; then
    echo "xbarsim: $label failed; the end of $log:" >&2
    tail -n 40 "$log" >&2
    return 1
  fi
  local took=$((SECONDS - start))
  [ "$took" -ge 5 ] && echo "xbarsim:   done in ${took} s" >&2
  return 0
}

# xbarsim_build BUILD_DIR LOGNAME TARGET...: cmake --build with progress (k%)
# on one updating line when stderr is a terminal.
xbarsim_build() {
  local dir=$1 name=$2 log="$xbarsim_log_dir/$2.log" start=$SECONDS
  shift 2
  local targets=()
  local t
  for t in "$@"; do targets+=(--target "$t"); done
  local jobs
  jobs=$(nproc 2>/dev/null || echo 2)
  echo "xbarsim: building ${*:-everything} in $dir/ (log: $log)" >&2
  cmake --build "$dir" -j"$jobs" "${targets[@]}" >"$log" 2>&1 &
  local pid=$!
  if [ -t 2 ]; then
    while kill -0 "$pid" 2>/dev/null; do
      local pct
      pct=$(grep -o '^\[ *[0-9]*%\]' "$log" 2>/dev/null | tail -n 1 | tr -d '[] ')
      printf '\rxbarsim:   %s %ds ' "${pct:-0%}" $((SECONDS - start)) >&2
      sleep 1
    done
    printf '\r\033[K' >&2
  fi
  if ! wait "$pid"; then
    echo "xbarsim: the build failed; the errors in $log:" >&2
    grep -E -m 20 -A 3 'error|Error' "$log" >&2 || tail -n 40 "$log" >&2
    return 1
  fi
  echo "xbarsim:   built in $((SECONDS - start)) s" >&2
}
