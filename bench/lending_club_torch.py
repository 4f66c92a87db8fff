#!/usr/bin/python3
"""The lending_club protocol of docs/results.md in PyTorch: the reference for hyda's speed.

Measures: for each seed, the wall time of training (the fit loop: every epoch's batches and
its validation evaluation, early stopping and the restore of the best epoch; not the data
loading, not the final test evaluation), the seconds per epoch, and the test ROC AUC, so
that a fast time can be seen to come with a model as good as hyda's.

Protocol (as hyda train runs it):
- Data: Class=bad is the main task (binary, BCE with logits); int_rate (regression,
  standardized with the training mean and sd, MSE = mean (p - y)^2) and sub_grade
  (multiclass over the training levels, softmax cross-entropy) are auxiliary tasks; every
  other column is a feature: numeric ones standardized with training statistics,
  categorical ones one-hot over the training levels. Split 0.6/0.2/0.2, stratified on
  Class, seeded.
- Model: trunk D -> 64 -> 64 (ReLU), one linear head per task, float32, PyTorch's default
  initialization. Adam lr 1e-3 (betas 0.9, 0.999, eps 1e-8), batch 256 (the last partial
  batch kept), rows reshuffled every epoch.
- Early stopping on the main task's validation ROC AUC (a strict improvement resets the
  count), patience 5, at most 40 epochs, the best epoch's parameters restored. Epochs are
  counted from 0, as hyda counts them.
- Methods: ew, the sum of the task losses with one backward; hydalearn, hyda's default
  rule (mtl/src/strategies/hydalearn.cpp, docs/hydalearn.md):
    g_k      = gradient of task k's loss over the trunk, one torch.autograd.grad per task
    P        = Adam's diagonal preconditioner from the steps taken so far, t of them:
               lr / (sqrt(v) / sqrt(1 - beta2^t) + eps), v = exp_avg_sq; P = lr before the
               first step (t = 0). This is hyda's AdamBase::fill_preconditioner: the bias
               correction of the t steps taken, not of step t + 1, and no beta1 correction.
    delta_k  = <g_main, P g_k> over all trunk parameters (lr is inside P)
    w_k      = max(delta_k, 0); if w_main <= 0 it takes max_k w_k, or 1 if that is 0 too;
               then scaled to sum to K
    trunk gradient = sum_k w_k g_k; each head takes its own task's unweighted gradient.

Run: /usr/bin/python3 bench/lending_club_torch.py --data /work/shared/datasets/lending_club.csv \
         --method hydalearn --seeds 3 --threads 1 [--verbose]
Prints one line per run, then one JSON line: {"impl": "torch", "method": ..., "runs": [...]}.
"""
import argparse
import copy
import csv
import json
import os
import sys
import time

import numpy as np

MAIN, MAIN_POSITIVE = "Class", "bad"
REGRESSION, MULTICLASS = "int_rate", "sub_grade"
SPLIT = (0.6, 0.2, 0.2)
BETA2, EPS = 0.999, 1e-8


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="lending_club.csv")
    ap.add_argument("--method", choices=("ew", "hydalearn"), default="ew")
    ap.add_argument("--seeds", type=int, default=1, help="runs, with seeds first-seed, first-seed + 1, ...")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--patience", type=int, default=5)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--verbose", action="store_true", help="per-epoch validation AUC and the mean task weights")
    return ap.parse_args()


def read_columns(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    return {name: [r[i] for r in body] for i, name in enumerate(header)}


def is_numeric(values):
    try:
        for v in values:
            float(v)
        return True
    except ValueError:
        return False


def stratified_split(labels, seed):
    """Row indices of train, validation and test: each class shuffled and cut 0.6/0.2/0.2."""
    rng = np.random.default_rng(seed)
    parts = ([], [], [])
    for value in (False, True):
        rows = rng.permutation(np.flatnonzero(labels == value))
        cut1 = int(round(SPLIT[0] * len(rows)))
        cut2 = cut1 + int(round(SPLIT[1] * len(rows)))
        for part, chunk in zip(parts, (rows[:cut1], rows[cut1:cut2], rows[cut2:])):
            part.extend(chunk.tolist())
    return [np.sort(np.array(p)) for p in parts]


def prepare(columns, seed):
    """Features and targets of the three splits, preprocessing fitted on the training rows."""
    main = np.array([v == MAIN_POSITIVE for v in columns[MAIN]])
    train, val, test = stratified_split(main, seed)
    features = []
    for name, values in columns.items():
        if name in (MAIN, REGRESSION, MULTICLASS):
            continue
        if is_numeric(values):
            x = np.array(values, dtype=np.float64)
            mean, sd = x[train].mean(), x[train].std()
            features.append(((x - mean) / (sd if sd > 0 else 1.0))[:, None])
        else:
            levels = sorted(set(values[i] for i in train))
            features.append(np.array([[v == level for level in levels] for v in values], dtype=np.float64))
    x = np.hstack(features).astype(np.float32)
    rate = np.array(columns[REGRESSION], dtype=np.float64)
    rate = ((rate - rate[train].mean()) / rate[train].std()).astype(np.float32)
    grades = sorted(set(columns[MULTICLASS][i] for i in train))
    grade_index = {g: i for i, g in enumerate(grades)}
    # A grade absent from the training rows has no class: mark it -100, which cross_entropy ignores.
    grade = np.array([grade_index.get(g, -100) for g in columns[MULTICLASS]], dtype=np.int64)
    split = lambda rows: (x[rows], main[rows].astype(np.float32), rate[rows], grade[rows])  # noqa: E731
    return split(train), split(val), split(test), len(grades)


def roc_auc(scores, labels):
    """Mann-Whitney form, ties counted half: (rank sum of the positives - n+(n+ + 1)/2) / (n+ n-)."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=bool)
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores))
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for start, count in zip(first, counts):  # tied scores share their mean rank (1-based)
        ranks[order[start:start + count]] = start + (count + 1) / 2
    pos = labels.sum()
    neg = len(labels) - pos
    return (ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg)


def check_roc_auc():
    """Against the definition: the fraction of (positive, negative) pairs ordered right, ties half."""
    rng = np.random.default_rng(1)
    s, y = rng.integers(0, 5, 60).astype(float), rng.random(60) < 0.3
    pairs = [(a > b) + 0.5 * (a == b) for a in s[y] for b in s[~y]]
    assert abs(roc_auc(s, y) - np.mean(pairs)) < 1e-12


def adam_preconditioner(opt, lr, p):
    """hyda's AdamBase::fill_preconditioner: lr / (sqrt(v) / sqrt(1 - beta2^t) + eps) after
    t steps, lr before the first."""
    state = opt.state.get(p)
    if not state:
        return lr
    t = float(state["step"])
    return lr / (state["exp_avg_sq"].sqrt() / (1 - BETA2 ** t) ** 0.5 + EPS)


def first_order_gains(opt, lr, shared, grads):
    """delta_k = <g_main, P g_k> over the shared parameters; grads[k][i]: task k, parameter i."""
    return [sum(float((gm * adam_preconditioner(opt, lr, p) * gk).sum()) for p, gm, gk in zip(shared, grads[0], g))
            for g in grads]


def hydalearn_weights(gains):
    """hyda's default rule: negative gains clipped to 0, the main task (index 0) never drops
    out, weights sum to the number of tasks."""
    w = [max(d, 0.0) for d in gains]
    if w[0] <= 0:
        w[0] = max(w) if max(w) > 0 else 1.0
    return [len(w) * wk / sum(w) for wk in w]


def run(torch, args, data, seed):
    train, val, test, classes = data
    F = torch.nn.functional
    T = lambda a: torch.from_numpy(a)  # noqa: E731
    x, y_main, y_rate, y_grade = map(T, train)
    x_val, y_val = T(val[0]), val[1]
    x_test, y_test = T(test[0]), test[1]

    torch.manual_seed(seed)
    trunk = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU())
    heads = torch.nn.ModuleList([torch.nn.Linear(64, 1), torch.nn.Linear(64, 1), torch.nn.Linear(64, classes)])
    model = torch.nn.ModuleDict({"trunk": trunk, "heads": heads})
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    shared = list(trunk.parameters())
    K = len(heads)
    shuffle = torch.Generator().manual_seed(seed)

    def losses(rows):
        h = trunk(x[rows])
        return [F.binary_cross_entropy_with_logits(heads[0](h).squeeze(1), y_main[rows]),
                F.mse_loss(heads[1](h).squeeze(1), y_rate[rows]),
                F.cross_entropy(heads[2](h), y_grade[rows])]

    weight_sums = np.zeros(K)
    steps = 0

    def step(rows):
        nonlocal steps
        opt.zero_grad(set_to_none=True)
        task_losses = losses(rows)
        if args.method == "ew":
            sum(task_losses).backward()
            w = [1.0] * K
        else:
            grads, head_grads = [], []
            for k, loss in enumerate(task_losses):
                own = list(heads[k].parameters())
                g = torch.autograd.grad(loss, shared + own, retain_graph=k + 1 < K)
                grads.append(g[:len(shared)])
                head_grads.append(g[len(shared):])
            w = hydalearn_weights(first_order_gains(opt, args.lr, shared, grads))
            for i, p in enumerate(shared):
                p.grad = sum(w[k] * grads[k][i] for k in range(K))
            for head, g in zip(heads, head_grads):
                for p, gp in zip(head.parameters(), g):
                    p.grad = gp
        opt.step()
        weight_sums[:] += w
        steps += 1

    def main_scores(features):
        with torch.no_grad():
            return heads[0](trunk(features)).squeeze(1).numpy()

    t0 = time.perf_counter()
    best_auc, best_epoch, best_state, since_best, epochs = None, -1, None, 0, 0
    for epoch in range(args.epochs):
        order = torch.randperm(len(x), generator=shuffle)
        for start in range(0, len(x), args.batch):
            step(order[start:start + args.batch])
        epochs += 1
        auc = roc_auc(main_scores(x_val), y_val)
        if args.verbose:
            print(f"  epoch {epoch}: validation ROC AUC {auc:.4f}", file=sys.stderr)
        if best_auc is None or auc > best_auc:
            best_auc, best_epoch, since_best = auc, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            since_best += 1
        if since_best >= args.patience:
            break
    model.load_state_dict(best_state)
    seconds = time.perf_counter() - t0

    result = {"method": args.method, "seed": seed, "epochs": epochs, "best_epoch": best_epoch,
              "validation_roc_auc": best_auc, "test_roc_auc": roc_auc(main_scores(x_test), y_test),
              "train_seconds": seconds, "seconds_per_epoch": seconds / epochs}
    if args.method == "hydalearn":
        result["mean_weights"] = dict(zip((MAIN, REGRESSION, MULTICLASS), (weight_sums / steps).tolist()))
    return result


def main():
    args = parse_args()
    # OpenBLAS (PyTorch's BLAS on Debian) sizes its thread pool from these when it loads;
    # torch.set_num_threads does not reach it. So they are set before torch is imported.
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch
    torch.set_num_threads(args.threads)
    check_roc_auc()
    columns = read_columns(args.data)
    runs = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        r = run(torch, args, prepare(columns, seed), seed)
        runs.append(r)
        print(f"{r['method']} seed {seed}: {r['epochs']} epochs (best {r['best_epoch']}), "
              f"test ROC AUC {r['test_roc_auc']:.4f}, {r['train_seconds']:.3f} s training, "
              f"{r['seconds_per_epoch'] * 1e3:.1f} ms/epoch", flush=True)
        if args.verbose and "mean_weights" in r:
            print("  mean weights: " + ", ".join(f"{k} {w:.3f}" for k, w in r["mean_weights"].items()), flush=True)
    print(json.dumps({"impl": "torch", "method": args.method, "threads": args.threads, "torch": torch.__version__,
                      "runs": runs}))


if __name__ == "__main__":
    main()
