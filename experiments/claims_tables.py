#!/usr/bin/python3
"""Tables of docs/results.md's sections "HydaLearn's claims" and "HydaLearn variants".

Reads the results.csv that `hyda compare --out DIR` writes for each data set (one folder
per data set under ROOT) and prints Markdown:
  * per data set, every method's mean test ROC AUC and its paired difference to STL and to
    EW (mean over seeds, two-sided paired t-test p, two-sided exact sign-test p);
  * with --grid: one line per method, one column per data set: its mean difference to the
    better of STL and EW (x 1000; a trailing * where it is significantly below, paired
    t-test p < 0.05) and, where an oracle ran, its share of the oracle's headroom;
  * with --versus METHOD: one line per data set: EW - STL, METHOD - STL and METHOD - EW
    (mean, t-test p, sign-test p), and the oracle's headroom over STL where it ran;
  * with --goal METHOD: the issue's goal for METHOD on every data set: its difference to
    the better of STL and EW on that data set (the one with the higher mean), with its
    paired t-test p, and, where an oracle ran, the share of the oracle's headroom over STL
    it reaches, mean(METHOD - STL) / mean(oracle - STL).
Runs are paired by seed: every method of a seed had the same split, initial weights and
batch order (hyda compare's protocol). Needs numpy and scipy (Debian python3-scipy).

Usage: experiments/claims_tables.py ROOT DATASET[,DATASET...] [--goal METHOD ...]
"""
import argparse
import csv
import os

import numpy as np
from scipy import stats


def read_runs(folder):
    """{method: {seed: test_roc_auc}} from folder/results.csv."""
    runs = {}
    with open(os.path.join(folder, "results.csv"), newline="") as f:
        for row in csv.DictReader(f):
            runs.setdefault(row["method"], {})[int(row["seed"])] = float(row["test_roc_auc"])
    return runs


def paired(runs, method, baseline):
    """Per-seed differences method - baseline over the seeds both have."""
    seeds = sorted(set(runs[method]) & set(runs[baseline]))
    return np.array([runs[method][s] - runs[baseline][s] for s in seeds])


def tests(d):
    """(mean, t-test p, sign-test p) of paired differences d; p = 1 where undefined."""
    if len(d) == 0 or np.all(d == 0):
        return (0.0, 1.0, 1.0)
    t_p = stats.ttest_1samp(d, 0.0).pvalue if np.std(d) > 0 else 0.0
    nonzero = d[d != 0]
    sign_p = stats.binomtest(int(np.sum(nonzero > 0)), len(nonzero), 0.5).pvalue
    return (float(np.mean(d)), float(t_p), float(sign_p))


def fmt_p(p):
    return "<1e-4" if p < 1e-4 else f"{p:.3f}" if p >= 0.001 else f"{p:.0e}"


def fmt_diff(d):
    mean, t_p, sign_p = tests(d)
    mark = "**" if t_p < 0.05 else ""
    return f"{mark}{mean:+.4f}{mark} ({fmt_p(t_p)}, {fmt_p(sign_p)})"


def method_table(name, runs):
    seeds = len(runs.get("stl", {}))
    print(f"\n#### {name} ({seeds} paired seeds)\n")
    print("| method | ROC AUC | - STL (t p, sign p) | - EW (t p, sign p) |")
    print("|---|---|---|---|")
    for method, by_seed in runs.items():
        values = np.array(list(by_seed.values()))
        vs_stl = "" if method == "stl" else fmt_diff(paired(runs, method, "stl"))
        vs_ew = "" if method == "ew" else fmt_diff(paired(runs, method, "ew"))
        print(f"| {method} | {values.mean():.4f} +- {values.std(ddof=1):.4f} | {vs_stl} | {vs_ew} |")


def goal_table(method, datasets):
    print(f"\n#### The goal for `{method}`\n")
    print("| data set | better of STL, EW | - better (t p, sign p) | oracle - STL | share of oracle headroom |")
    print("|---|---|---|---|---|")
    for name, runs in datasets:
        if method not in runs:
            continue
        better = max(("stl", "ew"), key=lambda m: np.mean(list(runs[m].values())))
        d = fmt_diff(paired(runs, method, better))
        headroom, share = "", ""
        if "oracle" in runs:
            room = np.mean(paired(runs, "oracle", "stl"))
            gained = np.mean(paired(runs, method, "stl"))
            headroom = f"{room:+.4f}"
            share = f"{gained / room:.2f}" if room > 0 else "(no headroom)"
        print(f"| {name} | {better} | {d} | {headroom} | {share} |")


def versus_table(method, datasets):
    print(f"\n#### `{method}` against STL and EW\n")
    print(f"Mean paired difference in test ROC AUC (two-sided paired t-test p, exact sign-test p); bold: t-test p < 0.05.\n")
    print(f"| data set | EW - STL | {method} - STL | {method} - EW | oracle - STL |")
    print("|---|---|---|---|---|")
    for name, runs in datasets:
        if method not in runs:
            continue
        oracle = fmt_diff(paired(runs, "oracle", "stl")) if "oracle" in runs else ""
        print(f"| {name} | {fmt_diff(paired(runs, 'ew', 'stl'))} | {fmt_diff(paired(runs, method, 'stl'))} | "
              f"{fmt_diff(paired(runs, method, 'ew'))} | {oracle} |")


def grid_table(datasets, only=None):
    print("\n#### Every method against the better of STL and EW\n")
    print("Mean paired difference to the better of STL and EW on each data set, in thousandths of ROC AUC"
          " (`*`: significantly below it, paired t-test p < 0.05), and in brackets the share of the oracle's"
          " headroom over STL reached, (method - STL) / (oracle - STL), where the oracle ran and has headroom.\n")
    print("| method | " + " | ".join(name for name, _ in datasets) + " |")
    print("|---|" + "---|" * len(datasets))
    methods = list(dict.fromkeys(m for _, runs in datasets for m in runs))
    if only:
        methods = [m for m in methods if m in only]
    for method in methods:
        cells = []
        for _, runs in datasets:
            if method not in runs:
                cells.append("")
                continue
            better = max(("stl", "ew"), key=lambda m: np.mean(list(runs[m].values())))
            mean, t_p, _ = tests(paired(runs, method, better))
            cell = f"{1000 * mean:+.1f}{'*' if t_p < 0.05 and mean < 0 else ''}"
            if "oracle" in runs:
                room = np.mean(paired(runs, "oracle", "stl"))
                if room > 0:
                    cell += f" [{np.mean(paired(runs, method, 'stl')) / room:.1f}]"
            cells.append(cell)
        print(f"| {method} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root")
    parser.add_argument("datasets", help="comma-separated folder names under ROOT")
    parser.add_argument("--versus", action="append", default=[], help="a method to pair with STL and EW on every data set (repeatable)")
    parser.add_argument("--goal", action="append", default=[], help="a method to check the goal for (repeatable)")
    parser.add_argument("--grid", action="store_true", help="the table of every method against the better of STL and EW")
    parser.add_argument("--grid-methods", help="comma-separated: the grid's methods only")
    parser.add_argument("--no-methods", action="store_true", help="without the per-data-set tables")
    args = parser.parse_args()
    datasets = [(name, read_runs(os.path.join(args.root, name))) for name in args.datasets.split(",")]
    if not args.no_methods:
        for name, runs in datasets:
            method_table(name, runs)
    for method in args.versus:
        versus_table(method, datasets)
    if args.grid:
        grid_table(datasets, args.grid_methods.split(",") if args.grid_methods else None)
    for method in args.goal:
        goal_table(method, datasets)


if __name__ == "__main__":
    main()
