#!/usr/bin/env python3
"""hyda_bench_step next to bench/torch_step.py: one table of training-step times.

Usage: bench/step_table.py BUILD_DIR [--threads 1] [--repetitions 7] [--rounds 1] [--keep-openblas-env]

With --rounds R the two programs run alternately R times; each time in the table is the
median over rounds, the ratio is the median of the per-round ratios, and the last column
shows their range, so a change of machine load between the two programs shows up as a
spread instead of a biased ratio.

Both run with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed, so PyTorch's BLAS (OpenBLAS
through Debian's libblas) uses its best kernel for this CPU, as in gemm_table.py; with
--keep-openblas-env they run in the environment as it is.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

CONFIGS = {"B128_D32_H64_K2": (128, 32, 64, 2), "B256_D64_H256_K4": (256, 64, 256, 4), "B1024_D128_H512_K4": (1024, 128, 512, 4)}


def step_flops(B, D, H, K):
    """Multiply-adds x 2 of one ew step: forward, input and weight gradients (no dx of the data)."""
    forward = 2 * B * (D * H + H * H + H * K)
    backward = 2 * B * (D * H) + 2 * 2 * B * (H * H) + 2 * 2 * B * (H * K)
    return forward + backward


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repetitions", type=int, default=7)
    ap.add_argument("--min-time", default="0.2")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--keep-openblas-env", action="store_true")
    args = ap.parse_args()
    env = dict(os.environ)
    if not args.keep_openblas_env:
        env = {k: v for k, v in env.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE', '(unset)')}")

    cmd = [os.path.join(args.build_dir, "bench", "hyda_bench_step"), "--benchmark_format=json",
           f"--benchmark_filter=threads:{args.threads}/", f"--benchmark_repetitions={args.repetitions}",
           f"--benchmark_min_time={args.min_time}", "--benchmark_report_aggregates_only=true"]
    torch_cmd = ["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "torch_step.py"), "--threads", str(args.threads),
                 "--repetitions", str(args.repetitions), "--min-time", args.min_time]
    rounds = []  # per round: ({(variant, config): hyda us}, {(variant, config): PyTorch us})
    for _ in range(args.rounds):
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        hyda = {}
        for b in json.loads(out[out.index("{"):])["benchmarks"]:
            m = re.match(r"step/hyda/(\w+)/(\w+)/threads:\d+", b["run_name"])
            if m and b.get("aggregate_name") == "median":
                hyda[(m[1], m[2])] = b["real_time"]
        torch = {}
        for line in subprocess.run(torch_cmd, env=env, capture_output=True, text=True, check=True).stdout.splitlines():
            r = json.loads(line)
            torch[(r["variant"], r["config"])] = r["us"]
        rounds.append((hyda, torch))
    keys = [k for k in rounds[0][0] if all(k in h and k in t for h, t in rounds)]
    hyda = {k: statistics.median(h[k] for h, _ in rounds) for k in keys}
    torch = {k: statistics.median(t[k] for _, t in rounds) for k in keys}
    ratios = {k: [t[k] / h[k] for h, t in rounds] for k in keys}

    print(f"threads: {args.threads}, medians of {args.repetitions} repetitions, {args.rounds} round(s), times in microseconds\n")
    print("| config | variant | hyda us | PyTorch us | PyTorch / hyda | ratio range | hyda / hyda ew | hyda / hyda multi |")
    print("|---|---|---|---|---|---|---|---|")
    variants = ("ew", "multi", "hyda1", "hydaexact", "pcgrad", "cagrad")
    for config in CONFIGS:
        for variant in variants:
            h, t = hyda.get((variant, config)), torch.get((variant, config))
            if h is None or t is None:
                continue
            ew, multi = hyda.get(("ew", config)), hyda.get(("multi", config))
            r = ratios[(variant, config)]
            print(f"| {config} | {variant} | {h:.1f} | {t:.1f} | {statistics.median(r):.2f} | {min(r):.2f}-{max(r):.2f} | "
                  f"{h / ew:.2f} | {h / multi:.2f} |")
    print("\nFLOP check (ew): forward and backward multiply-adds x 2; time at 110 GFLOP/s; hyda's time as a multiple of it")
    for config, (B, D, H, K) in CONFIGS.items():
        if ("ew", config) in hyda:
            flops = step_flops(B, D, H, K)
            ideal = flops / 110e9 * 1e6
            print(f"  {config}: {flops / 1e6:.1f} MFLOP, {ideal:.1f} us at 110 GFLOP/s, hyda {hyda[('ew', config)] / ideal:.2f}x of it "
                  f"({flops / hyda[('ew', config)] * 1e-3:.0f} GFLOP/s)")
    print("\nmulti / ew limits (1 + 0.8 (K - 1)): " + ", ".join(f"{c}: {1 + 0.8 * (K - 1):.1f}" for c, (B, D, H, K) in CONFIGS.items()))


if __name__ == "__main__":
    sys.exit(main())
