#!/usr/bin/python3
"""How closely a method's per-step auxiliary weight follows the oracle's, on the first seed.

hyda compare --out writes each method's task weights per step on the first seed
(weights_per_step_<method>.dat: one block per task, "step weight" lines, a moving average
over a fifth of an epoch). The oracle's weight for a task is 1 times the batch's mean
row weight, max(0, true relatedness): what the task should get on that batch. Within a
seed every method sees the same batches in the same order, so step i is the same batch
for every method until one of them stops early. For each method and auxiliary task this
prints the mean weight relative to the main task's, and the Pearson correlation of that
ratio with the oracle's over the steps both ran.

Usage: experiments/weight_tracking.py DIR [DIR ...]   (compare output folders)
"""
import glob
import os
import sys

import numpy as np


def blocks(path):
    """{task: weights per step} from a weights_per_step_*.dat file."""
    out, task, values = {}, None, []
    for line in open(path):
        line = line.strip()
        if line.startswith("#"):
            if task is not None:
                out[task] = np.array(values)
            task, values = line[1:].strip(), []
        elif line:
            values.append(float(line.split()[1]))
    if task is not None:
        out[task] = np.array(values)
    return out


def main():
    for folder in sys.argv[1:]:
        oracle_file = os.path.join(folder, "weights_per_step_oracle.dat")
        if not os.path.exists(oracle_file):
            continue
        oracle = blocks(oracle_file)
        main_task = next(iter(oracle))
        auxiliaries = [t for t in oracle if t != main_task]
        print(f"\n{folder}: auxiliary weight / main weight per step (first seed); mean, and correlation with the oracle's")
        print("| method | " + " | ".join(f"{t} mean | {t} corr" for t in auxiliaries) + " |")
        print("|---|" + "---|---|" * len(auxiliaries))
        for path in sorted(glob.glob(os.path.join(folder, "weights_per_step_*.dat"))):
            method = os.path.basename(path)[len("weights_per_step_"):-len(".dat")]
            w = blocks(path)
            cells = []
            for t in auxiliaries:
                n = min(len(w[t]), len(oracle[t]))
                ratio = w[t][:n] / w[main_task][:n]
                target = oracle[t][:n] / oracle[main_task][:n]
                corr = np.corrcoef(ratio, target)[0, 1] if np.std(ratio) > 0 and np.std(target) > 0 else float("nan")
                cells += [f"{ratio.mean():.2f}", f"{corr:+.2f}"]
            print(f"| {method} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
