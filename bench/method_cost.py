#!/usr/bin/env python3
"""What each weighting strategy adds to a training step: hyda_bench_step's strategy variants
against the plain backward_multi step ("multi": one sweep, K gradients summed, SGD) and
against "equal" (the same mtl::Trainer step with constant weights: batch copy, sweep,
Gram matrix, combination, SGD).

Usage: bench/method_cost.py BUILD_DIR [--threads 1] [--repetitions 9] [--configs B256_D64_H256_K8,...]
                            [--variants REGEX] [--reference VARIANT]

--variants limits the run to the variants whose names match REGEX (multi and equal always
run); --reference adds a column of each time over that variant's, e.g. HydaLearn's variants
against first-order HydaLearn: --variants 'hyda1|hyda-[a-z]+' --reference hyda1.

Repetitions are interleaved at random across the benchmarks (Google Benchmark's
--benchmark_enable_random_interleaving), so a change of machine load spreads over every
variant instead of biasing the ones that ran during it; each time is the median over the
repetitions.
"""
import argparse
import json
import os
import re
import subprocess

DEFAULT_CONFIGS = "B256_D64_H256_K4,B1024_D128_H512_K4,B256_D64_H256_K8,B1024_D128_H512_K8"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repetitions", type=int, default=9)
    ap.add_argument("--min-time", default="0.1")
    ap.add_argument("--configs", default=DEFAULT_CONFIGS)
    ap.add_argument("--variants", default="[a-z0-9-]+")
    ap.add_argument("--reference")
    args = ap.parse_args()
    configs = args.configs.split(",")
    pattern = f"step/hyda/({args.variants}|multi|equal)/({'|'.join(configs)})/threads:{args.threads}/"
    cmd = [os.path.join(args.build_dir, "bench", "hyda_bench_step"), "--benchmark_format=json", f"--benchmark_filter={pattern}",
           f"--benchmark_repetitions={args.repetitions}", f"--benchmark_min_time={args.min_time}",
           "--benchmark_enable_random_interleaving=true", "--benchmark_report_aggregates_only=true"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    report = json.loads(out[out.index("{"):])
    times = {}
    for b in report["benchmarks"]:
        m = re.match(r"step/hyda/([\w-]+)/(\w+)/threads:\d+", b["run_name"])
        if m and b.get("aggregate_name") == "median":
            times[(m[1], m[2])] = b["real_time"]
    context = report["context"]
    print(f"hyda_arch {context.get('hyda_arch')}, threads {args.threads}, medians of {args.repetitions} interleaved repetitions; "
          "times in microseconds\n")
    variants = sorted({v for v, _ in times} - {"ew", "multi", "equal"})
    references = ["multi", "equal"] + ([args.reference] if args.reference else [])
    print("| variant | " + " | ".join(f"{c} us | " + " | ".join(f"/ {r}" for r in references) for c in configs) + " |")
    print("|---|" + "---|" * ((1 + len(references)) * len(configs)))
    for variant in ["multi", "equal"] + variants:
        cells = []
        for c in configs:
            t = times.get((variant, c))
            cells += ["-"] * (1 + len(references)) if t is None else [f"{t:.0f}"] + [f"{t / times[(r, c)]:.2f}" for r in references]
        print(f"| {variant} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
