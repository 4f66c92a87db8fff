#!/usr/bin/python3
"""One training step of the hyda_bench_step model in PyTorch, timed the same way.

Model: shared trunk D -> H -> H (ReLU), K heads H -> 1, BCE-with-logits per head, SGD.
Variants:
  ew     loss = sum of the K losses, one backward, SGD step
  multi  the K gradients separately (torch.autograd.grad per task, retain_graph), their
         sum written to .grad, SGD step
Prints one JSON object per (variant, config): median microseconds over repetitions.

Usage: /usr/bin/python3 bench/torch_step.py --threads 1 [--repetitions 7] [--min-time 0.2]
"""
import argparse
import json
import statistics
import time

import torch

CONFIGS = {"small": (128, 32, 64, 2), "medium": (256, 64, 256, 4), "large": (1024, 128, 512, 4)}


class Model(torch.nn.Module):
    def __init__(self, D, H, K):
        super().__init__()
        self.trunk = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.ReLU(), torch.nn.Linear(H, H), torch.nn.ReLU())
        self.heads = torch.nn.ModuleList(torch.nn.Linear(H, 1) for _ in range(K))

    def losses(self, x, ys):
        h = self.trunk(x)
        return [torch.nn.functional.binary_cross_entropy_with_logits(head(h), y) for head, y in zip(self.heads, ys)]


def make_step(variant, model, opt, x, ys):
    params = list(model.parameters())

    def ew():
        opt.zero_grad(set_to_none=False)
        sum(model.losses(x, ys)).backward()
        opt.step()

    def multi():
        losses = model.losses(x, ys)
        total = [torch.zeros_like(p) for p in params]
        for k, loss in enumerate(losses):
            grads = torch.autograd.grad(loss, params, retain_graph=k + 1 < len(losses), allow_unused=True)
            for t, g in zip(total, grads):
                if g is not None:
                    t.add_(g)
        for p, t in zip(params, total):
            p.grad = t
        opt.step()

    return ew if variant == "ew" else multi


def time_step(step, repetitions, min_time):
    for _ in range(3):
        step()
    iters = 1
    while True:  # iterations per repetition so that one repetition takes min_time
        t0 = time.perf_counter()
        for _ in range(iters):
            step()
        if time.perf_counter() - t0 >= min_time:
            break
        iters *= 2
    samples = []
    for _ in range(repetitions):
        t0 = time.perf_counter()
        for _ in range(iters):
            step()
        samples.append((time.perf_counter() - t0) / iters * 1e6)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repetitions", type=int, default=7)
    ap.add_argument("--min-time", type=float, default=0.2)
    ap.add_argument("--configs", default="small,medium,large")
    ap.add_argument("--variants", default="ew,multi")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name in args.configs.split(","):
        B, D, H, K = CONFIGS[name]
        for variant in args.variants.split(","):
            model = Model(D, H, K)
            opt = torch.optim.SGD(model.parameters(), lr=0.01)
            x = torch.randn(B, D)
            ys = [torch.randint(0, 2, (B, 1)).float() for _ in range(K)]
            us = time_step(make_step(variant, model, opt, x, ys), args.repetitions, args.min_time)
            print(json.dumps({"impl": "torch", "variant": variant, "config": f"B{B}_D{D}_H{H}_K{K}",
                              "threads": args.threads, "us": us}), flush=True)


if __name__ == "__main__":
    main()
