#!/usr/bin/env python3
"""Seeded agent-state export for bench/agents.sh: AGENTS agents x EVENTS state changes on one
local day, start-only form (Agent;Time;State), one CSV file sorted by time like an ACD's event
log. Each agent logs in between 06:00 and 10:00 (LOGIN), changes between READY, TALK, ACW and
AUX1..AUX3 every 5 to 175 seconds, and ends with LOGOUT. Agent ids are 5-digit strings with
leading zeros (00001 ..).

Usage: gen-agent-states.py OUT.csv [--agents 10000] [--events 200] [--day 2026-11-24] [--seed 7]
"""
import argparse
import heapq
import random

STATES = ["READY", "TALK", "ACW", "READY", "TALK", "AUX1", "AUX2", "AUX3"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--agents", type=int, default=10000)
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--day", default="2026-11-24")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    # one generator per agent, merged by time (the export is in time order)
    heap = []
    for n in range(1, a.agents + 1):
        t = rnd.randint(6 * 3600, 10 * 3600)
        heap.append((t, n, 0))
    heapq.heapify(heap)
    rows = 0
    with open(a.out, "w", newline="") as f:
        f.write("Agent;Time;State\r\n")
        while heap:
            t, n, k = heapq.heappop(heap)
            if k == 0:
                state = "LOGIN"
            elif k == a.events - 1:
                state = "LOGOUT"
            else:
                state = STATES[rnd.randrange(len(STATES))]
            f.write("%05d;%s %02d:%02d:%02d;%s\r\n" % (n, a.day, t // 3600, t // 60 % 60, t % 60,
                                                        state))
            rows += 1
            if k + 1 < a.events:
                nt = t + rnd.randint(5, 175)
                if nt < 86400:
                    heapq.heappush(heap, (nt, n, k + 1))
    print("rows=%d" % rows)


if __name__ == "__main__":
    main()
