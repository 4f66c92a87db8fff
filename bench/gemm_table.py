#!/usr/bin/env python3
"""Runs hyda_bench_gemm and prints hyda vs OpenBLAS as a Markdown table of medians.

Usage: bench/gemm_table.py BUILD_DIR [--repetitions N] [--threads 1|2|all] [--double]

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from the benchmark's environment so
that OpenBLAS picks its own best kernel for this CPU (the core it chose is printed).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--threads", default="all")
    ap.add_argument("--double", action="store_true")
    ap.add_argument("--min-time", default="0.1")
    args = ap.parse_args()

    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["OPENBLAS_VERBOSE"] = "2"
    cmd = [os.path.join(args.build_dir, "bench", "hyda_bench_gemm"), "--benchmark_format=json",
           f"--benchmark_repetitions={args.repetitions}", f"--benchmark_min_time={args.min_time}",
           "--benchmark_report_aggregates_only=true"]
    if args.threads != "all":
        cmd.append(f"--benchmark_filter=threads:{args.threads}/")
    if args.double:
        cmd.append("--double")
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    core = re.search(r"Core: (\S+)", run.stderr + run.stdout)
    data = json.loads(run.stdout[run.stdout.index("{"):])

    medians = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") == "median":
            name = b["run_name"].replace("/real_time", "")
            medians[name] = b["GFLOPS"] / 1e9 if b["GFLOPS"] > 1e6 else b["GFLOPS"]

    print(f"precision: {data['context'].get('precision')}, hyda path: {data['context'].get('hyda_arch')}, "
          f"OpenBLAS core: {core.group(1) if core else 'unknown'} (largest relative difference from hyda on a "
          f"301^3 product: {data['context'].get('openblas_vs_hyda_max_rel_diff')}), repetitions: {args.repetitions} (medians)\n")
    print("| shape (op M x N x K) | threads | hyda GFLOP/s | OpenBLAS GFLOP/s | hyda / OpenBLAS |")
    print("|---|---|---|---|---|")
    rows = []
    for name, g in medians.items():
        m = re.match(r"gemm/hyda/(\w+)/(\d+)x(\d+)x(\d+)/threads:(\d+)", name)
        if not m:
            continue
        ref = medians.get(name.replace("/hyda/", "/openblas/"))
        ratio = g / ref
        rows.append((m, g, ratio))
        print(f"| {m[1]} {m[2]}x{m[3]}x{m[4]} | {m[5]} | {g:.1f} | {ref:.1f} | {ratio:.2f} |")

    # The acceptance set: 1 thread, squares from 256 up and the MLP shapes.
    accept = [r for m, g, r in [(m, g, r) for m, g, r in rows]
              if m[5] == "1" and not (m[2] == m[3] == m[4] and int(m[2]) < 256)]
    if accept:
        print(f"\n1 thread, squares >= 256 and MLP shapes: median ratio {statistics.median(accept):.3f}, "
              f"min ratio {min(accept):.3f} over {len(accept)} shapes")
    one = {f"{m[1]}/{m[2]}x{m[3]}x{m[4]}": g for m, g, r in rows if m[5] == "1"}
    for m, g, r in rows:
        key = f"{m[1]}/{m[2]}x{m[3]}x{m[4]}"
        if m[5] == "2" and m[1] == "NN" and m[2] == m[3] == m[4] and int(m[2]) >= 512 and key in one:
            print(f"2-thread speed-up of hyda at {key}: {g / one[key]:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
