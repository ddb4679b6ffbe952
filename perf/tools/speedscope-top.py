#!/usr/bin/env python3
"""Top frames of a speedscope profile (BenchmarkDotNet's `-p EP` writes one per benchmark case).

Usage: speedscope-top.py FILE.speedscope.json [N=40] [FILTER] [CALLEE]
Prints, over all threads, the frames with the most inclusive time and with the most self time, as shares of the
total sampled time of the stacks that contain FILTER (a substring of a frame name, e.g. "WorkloadActionNoUnroll" for
the measured iterations only; default: every stack). Self time goes to the innermost real frame (the profiler's
CPU_TIME / UNMANAGED_CODE_TIME leaves are markers). With CALLEE, also prints which frames call the frames whose name
contains CALLEE, by inclusive time. Time in a frame on a thread that is not running (waits) counts like any other:
pick FILTER to keep to the busy threads.
"""
import json
import sys
from collections import defaultdict


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    filt = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    callee = sys.argv[4] if len(sys.argv) > 4 else None
    callers = defaultdict(float)
    doc = json.load(open(path))
    frames = [f["name"] for f in doc["shared"]["frames"]]
    incl = defaultdict(float)
    self_t = defaultdict(float)
    total = 0.0
    for prof in doc["profiles"]:
        stacks = []  # (stack as tuple of frame indexes, weight)
        if prof["type"] == "sampled":
            stacks = list(zip(prof["samples"], prof["weights"]))
        else:  # evented: O/C events; time between events goes to the open stack
            open_stack = []
            last = prof["startValue"]
            for ev in prof["events"]:
                at = ev["at"]
                if open_stack and at > last:
                    stacks.append((tuple(open_stack), at - last))
                last = at
                if ev["type"] == "O":
                    open_stack.append(ev["frame"])
                elif open_stack:
                    open_stack.pop()
        for stack, w in stacks:
            names = [frames[i] for i in stack]
            if filt and not any(filt in n for n in names):
                continue
            total += w
            for n in set(names):
                incl[n] += w
            real = [n for n in names if n not in ("CPU_TIME", "UNMANAGED_CODE_TIME")]
            if real:
                self_t[real[-1]] += w
            if callee:
                seen = set()
                for i, n in enumerate(real):
                    if callee in n and i > 0 and real[i - 1] not in seen and callee not in real[i - 1]:
                        seen.add(real[i - 1])
                        callers[real[i - 1]] += w
    if total == 0:
        print("no samples")
        return
    print(f"total {total:.0f} (profile units) on threads with '{filt or ''}'")
    print("inclusive:")
    for n, w in sorted(incl.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * w / total:5.1f} %  {n[:150]}")
    print("self:")
    for n, w in sorted(self_t.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * w / total:5.1f} %  {n[:150]}")
    if callee:
        print(f"callers of '{callee}':")
        for n, w in sorted(callers.items(), key=lambda kv: -kv[1])[:top]:
            print(f"  {100 * w / total:5.1f} %  {n[:150]}")


if __name__ == "__main__":
    main()
