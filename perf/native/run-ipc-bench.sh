#!/usr/bin/env bash
# Builds ipc-bench.c (gcc, into perf/native/build/) and runs it in a new IPC namespace (unshare --ipc, so nothing is
# left behind on the host): the real kernel's msgget(IPC_PRIVATE) + IPC_RMID pairs per second.
# Usage: perf/native/run-ipc-bench.sh [seconds=5] [threads=1]. Needs gcc and CAP_SYS_ADMIN (or add --user --map-root-user).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$here/build"
bin="$here/build/ipc-bench"
if [ ! -x "$bin" ] || [ "$here/ipc-bench.c" -nt "$bin" ]; then
  gcc -O2 -Wall -Wextra -Werror -std=gnu11 -pthread -o "$bin" "$here/ipc-bench.c"
fi
exec unshare --ipc "$bin" "${1:-5}" "${2:-1}"
