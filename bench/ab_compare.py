#!/usr/bin/env python3
"""Two builds of the same benchmark program side by side: is the new code slower?

Usage: bench/ab_compare.py OLD_BUILD NEW_BUILD [--program hyda_bench_step] [--filter REGEX]
                           [--rounds 5] [--repetitions 3] [--min-time 0.2]

Runs OLD_BUILD/bench/PROGRAM and NEW_BUILD/bench/PROGRAM alternately, ROUNDS times each,
with the same filter. In each round a benchmark's time is the fastest of its repetitions:
on a shared machine other load only ever adds time, so the minimum is the steadiest
estimate of the code's own cost. It prints for every benchmark present in both the median
of those times over the rounds for each build, and the median of the per-round ratios
new / old with their range. Alternating rounds keep a change of machine load from biasing
one side: read a ratio as a difference only when its whole range is on one side of 1.
Both run with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed, as in the other bench scripts.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def run(build, args, env):
    cmd = [os.path.join(build, "bench", args.program), "--benchmark_format=json",
           f"--benchmark_repetitions={args.repetitions}", f"--benchmark_min_time={args.min_time}"]
    if args.filter:
        cmd.append(f"--benchmark_filter={args.filter}")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    fastest = {}
    for b in json.loads(out[out.index("{"):])["benchmarks"]:
        if b.get("run_type") == "iteration":
            fastest[b["run_name"]] = min(fastest.get(b["run_name"], float("inf")), b["real_time"])
    return fastest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old_build")
    ap.add_argument("new_build")
    ap.add_argument("--program", default="hyda_bench_step")
    ap.add_argument("--filter", default="")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--min-time", default="0.2")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}

    rounds = []
    for r in range(args.rounds):
        old, new = run(args.old_build, args, env), run(args.new_build, args, env)
        rounds.append((old, new))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    names = [n for n in rounds[0][0] if all(n in o and n in w for o, w in rounds)]
    print(f"{args.program}, {args.rounds} alternating rounds, fastest of {args.repetitions} repetitions in each\n")
    print("| benchmark | old | new | new / old | range |")
    print("|---|---|---|---|---|")
    all_ratios = []
    for n in names:
        ratios = [w[n] / o[n] for o, w in rounds]
        all_ratios.append(statistics.median(ratios))
        old = statistics.median(o[n] for o, _ in rounds)
        new = statistics.median(w[n] for _, w in rounds)
        print(f"| {n} | {old:.1f} | {new:.1f} | {statistics.median(ratios):.3f} | {min(ratios):.3f}-{max(ratios):.3f} |")
    print(f"\nmedian of the ratios new / old over {len(names)} benchmarks: {statistics.median(all_ratios):.3f} "
          f"(lowest {min(all_ratios):.3f}, highest {max(all_ratios):.3f})")


if __name__ == "__main__":
    sys.exit(main())
