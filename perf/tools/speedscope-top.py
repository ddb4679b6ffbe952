#!/usr/bin/env python3
"""Top frames of a speedscope profile (BenchmarkDotNet's `-p EP` writes one per benchmark case).

Usage: speedscope-top.py FILE.speedscope.json [N=40] [FILTER]
Prints, over all threads, the frames with the most inclusive time and with the most self time, as shares of the
total sampled time of the threads whose stacks contain FILTER (a substring of a frame name, e.g. "Explore"; default:
every thread). Time in a frame on a thread that is not running (waits) counts like any other: pick FILTER to keep to
the busy threads.
"""
import json
import sys
from collections import defaultdict


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    filt = sys.argv[3] if len(sys.argv) > 3 else None
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
            if names:
                self_t[names[-1]] += w
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


if __name__ == "__main__":
    main()
