#!/usr/bin/env bash
# `make test` as a busy user's machine runs it: one core kept busy by another process, and the
# whole suite inside a memory cgroup, so that a run that grows is killed alone, not the machine.
# Prints the cgroup's peak at the end. Needs a writable cgroup (root, cgroup v1 or v2); without
# one it says so and runs with the busy core only.
#   make test-stressed                      # 8 GB cap
#   STRESS_MEMORY_MB=6144 make test-stressed
set -euo pipefail
cd "$(dirname "$0")/.."
cap_mb=${STRESS_MEMORY_MB:-8192}
group=""
if [ -w /sys/fs/cgroup/cgroup.subtree_control ]; then  # v2
  group=/sys/fs/cgroup/newswire-stress-$$
  mkdir "$group"
  echo $((cap_mb * 1024 * 1024)) > "$group/memory.max"
  peak_file=$group/memory.peak
elif [ -d /sys/fs/cgroup/memory ] && mkdir /sys/fs/cgroup/memory/newswire-stress-$$ 2>/dev/null; then  # v1
  group=/sys/fs/cgroup/memory/newswire-stress-$$
  echo $((cap_mb * 1024 * 1024)) > "$group/memory.limit_in_bytes"
  peak_file=$group/memory.max_usage_in_bytes
else
  echo "stressed: no writable memory cgroup here; running with a busy core but no memory cap" >&2
fi

python3 -c 'while True: pass' &  # the other process, outside the cgroup
busy=$!
finish() {
  kill "$busy" 2>/dev/null || true
  if [ -n "$group" ]; then
    echo "stressed: peak memory of the whole run (cgroup, cap ${cap_mb} MB):" \
      "$(( $(cat "$peak_file") / 1024 / 1024 )) MB" >&2
    rmdir "$group" 2>/dev/null || true
  fi
}
trap finish EXIT

if [ -n "$group" ]; then
  bash -c 'echo $$ > "$1/cgroup.procs"; exec make test' _ "$group"
else
  make test
fi
