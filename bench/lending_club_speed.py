#!/usr/bin/env python3
"""hyda train next to bench/lending_club_torch.py on lending_club: issue 9's speed ratio.

Measures, for the methods ew and hydalearn on one thread each, the training wall time that
each side reports for the same protocol (trunk 64,64, Adam lr 1e-3, batch 256, early
stopping on the main validation ROC AUC with patience 5, at most 40 epochs): hyda's
--report-json "train_seconds" and "seconds_per_epoch", and the PyTorch script's, which
time the fit loop with its per-epoch validation, without data loading or process start.

The two run alternately: in round r both sides train with seed first_seed + r, hyda first
in even rounds and PyTorch first in odd ones, so a change of machine load between them
shows up as a spread instead of a biased ratio. Printed per method: the median over rounds
of PyTorch / hyda for seconds per epoch and for total training time, with their range.
Seconds per epoch is the cost comparison; total time also depends on how many epochs
early stopping ran on each side (the same seed gives each side its own split, initial
weights and batch order: their random generators differ), so the epochs are printed as well.

Run: bench/lending_club_speed.py --hyda build/cli/hyda [--data examples/data/lending_club.csv]
         [--rounds 5] [--methods ew,hydalearn] [--python /usr/bin/python3]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_SCRIPT = os.path.join(HERE, "lending_club_torch.py")
PROTOCOL = ["--epochs", "40", "--patience", "5"]


def fail(message):
    sys.exit(f"lending_club_speed.py: {message}")


def run_hyda(args, method, seed, env):
    with tempfile.TemporaryDirectory(prefix="hyda_speed_") as tmp:
        report = os.path.join(tmp, "report.json")
        cmd = [args.hyda, "train", "--data", args.data, "--main", "Class=bad", "--aux", "int_rate:regression",
               "--aux", "sub_grade:multiclass", "--trunk", "64,64", "--batch", "256", "--lr", "1e-3",
               "--optimizer", "adam", *PROTOCOL, "--method", method, "--threads", "1", "--seed", str(seed),
               "--out", os.path.join(tmp, "model"), "--report-json", report, "--quiet"]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            fail(f"hyda train exited with {done.returncode}:\n  {' '.join(cmd)}\n{done.stderr}")
        with open(report) as f:
            r = json.load(f)
    return {"epochs": r["epochs"], "train_seconds": r["train_seconds"],
            "seconds_per_epoch": r["seconds_per_epoch"], "test_roc_auc": r["test"]["roc_auc"]}


def run_torch(args, method, seed, env):
    cmd = [args.python, TORCH_SCRIPT, "--data", args.data, "--method", method, "--seeds", "1",
           "--first-seed", str(seed), "--threads", "1", *PROTOCOL]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"the PyTorch script exited with {done.returncode}:\n  {' '.join(cmd)}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])["runs"][0]


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def summary(values):
    return f"{statistics.median(values):.2f} ({min(values):.2f} - {max(values):.2f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hyda", required=True, help="the hyda binary")
    ap.add_argument("--data", default=os.path.join(HERE, "..", "examples", "data", "lending_club.csv"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--methods", default="ew,hydalearn")
    ap.add_argument("--python", default="/usr/bin/python3", help="a Python with torch and numpy")
    args = ap.parse_args()
    if not (os.path.isfile(args.hyda) and os.access(args.hyda, os.X_OK)):
        fail(f"no executable hyda binary at {args.hyda!r} (build the hyda target and pass its path with --hyda)")
    if not os.path.isfile(args.data):
        fail(f"no data file at {args.data!r} (pass --data)")
    if not (os.path.isfile(args.python) and os.access(args.python, os.X_OK)):
        fail(f"no Python at {args.python!r} (pass --python)")
    # As in the other bench scripts: PyTorch's OpenBLAS picks its own kernel for this CPU.
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    methods = args.methods.split(",")

    results = {m: [] for m in methods}  # per method: (hyda run, torch run) per round
    for r in range(args.rounds):
        seed = args.first_seed + r
        for m in methods:
            if r % 2 == 0:
                h = run_hyda(args, m, seed, env)
                t = run_torch(args, m, seed, env)
            else:
                t = run_torch(args, m, seed, env)
                h = run_hyda(args, m, seed, env)
            results[m].append((h, t))
            print(f"round {r + 1}/{args.rounds} {m}: hyda {h['epochs']} epochs {h['train_seconds']:.3f} s "
                  f"(AUC {h['test_roc_auc']:.3f}), torch {t['epochs']} epochs {t['train_seconds']:.3f} s "
                  f"(AUC {t['test_roc_auc']:.3f})", file=sys.stderr, flush=True)

    print(f"lending_club, 1 thread, {args.rounds} alternating rounds; CPU: {cpu_model()}")
    print("ratios are PyTorch / hyda: median over rounds (range)\n")
    print("| method | hyda ms/epoch | torch ms/epoch | per-epoch ratio | hyda s/run | torch s/run | total-time ratio "
          "| epochs hyda / torch (median) |")
    print("|---|---|---|---|---|---|---|---|")
    out = {}
    for m in methods:
        pairs = results[m]
        per_epoch = [t["seconds_per_epoch"] / h["seconds_per_epoch"] for h, t in pairs]
        total = [t["train_seconds"] / h["train_seconds"] for h, t in pairs]
        med = lambda side, key: statistics.median(run[side][key] for run in pairs)  # noqa: E731
        print(f"| {m} | {med(0, 'seconds_per_epoch') * 1e3:.1f} | {med(1, 'seconds_per_epoch') * 1e3:.1f} "
              f"| {summary(per_epoch)} | {med(0, 'train_seconds'):.2f} | {med(1, 'train_seconds'):.2f} "
              f"| {summary(total)} | {med(0, 'epochs'):g} / {med(1, 'epochs'):g} |")
        out[m] = {"per_epoch_ratio": per_epoch, "total_ratio": total, "hyda": [h for h, _ in pairs],
                  "torch": [t for _, t in pairs]}
    print(json.dumps({"cpu": cpu_model(), "rounds": args.rounds, "methods": out}))


if __name__ == "__main__":
    main()
