#!/usr/bin/python3
"""One training step of the hyda_bench_step model in PyTorch, timed the same way.

Model: shared trunk D -> H -> H (ReLU), K heads H -> 1, BCE-with-logits per head, SGD.
Variants:
  ew         loss = sum of the K losses, one backward, SGD step
  multi      the K gradients separately (torch.autograd.grad per task, retain_graph), their
             sum written to .grad, SGD step
  hyda1      HydaLearn with first-order gains lr <g_main, g_k> over the shared parameters
  hydaexact  HydaLearn with exact gains: K functional look-ahead forwards of the main loss
  pcgrad     PCGrad (Yu et al. 2020) on the flattened shared gradients
  cagrad     CAGrad (Liu et al. 2021, c = 0.5) with its K-weight problem solved on the Gram matrix
In every multi-gradient variant each head keeps its own task's gradient, as in hyda.
Prints one JSON object per (variant, config): median microseconds over repetitions.

Usage: /usr/bin/python3 bench/torch_step.py --threads 1 [--repetitions 7] [--min-time 0.2]
"""
import argparse
import json
import os
import statistics
import sys
import time


def thread_count():
    """--threads, read before torch is imported: OpenBLAS (PyTorch's BLAS on Debian) sizes
    its own thread pool from OPENBLAS_NUM_THREADS when it loads, and torch.set_num_threads
    does not reach it, so without this a "1-thread" run would multiply on every core."""
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = thread_count()
import torch  # noqa: E402  (after the thread settings above)

CONFIGS = {"small": (128, 32, 64, 2), "medium": (256, 64, 256, 4), "large": (1024, 128, 512, 4)}


class Model(torch.nn.Module):
    def __init__(self, D, H, K):
        super().__init__()
        self.trunk = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.ReLU(), torch.nn.Linear(H, H), torch.nn.ReLU())
        self.heads = torch.nn.ModuleList(torch.nn.Linear(H, 1) for _ in range(K))

    def losses(self, x, ys):
        h = self.trunk(x)
        return [torch.nn.functional.binary_cross_entropy_with_logits(head(h), y) for head, y in zip(self.heads, ys)]


def make_step(variant, model, opt, x, ys, lr):
    params = list(model.parameters())
    n_shared = len(list(model.trunk.parameters()))
    K = len(ys)

    def ew():
        opt.zero_grad(set_to_none=False)
        sum(model.losses(x, ys)).backward()
        opt.step()

    def task_grads(losses):
        return [torch.autograd.grad(loss, params, retain_graph=k + 1 < len(losses), allow_unused=True)
                for k, loss in enumerate(losses)]

    def apply(grads, coefficients):
        """Shared parameters: sum_k c_k g_k; head parameters: their own task's gradient."""
        for i, p in enumerate(params):
            if i < n_shared:
                p.grad = sum(float(coefficients[k]) * grads[k][i] for k in range(K))
            else:
                p.grad = next(g[i] for g in grads if g[i] is not None)
        opt.step()

    def flat_shared(grads):
        return torch.stack([torch.cat([g.reshape(-1) for g in grads[k][:n_shared]]) for k in range(K)])

    def hydalearn_weights(gains):
        w = gains.clamp(min=0)
        if w[0] <= 0:
            w[0] = w.max() if w.max() > 0 else 1.0
        return K * w / w.sum()

    def multi():
        apply(task_grads(model.losses(x, ys)), [1.0] * K)

    def hyda1():
        grads = task_grads(model.losses(x, ys))
        S = flat_shared(grads)
        apply(grads, hydalearn_weights(lr * (S @ S[0])))

    trunk = list(model.trunk.parameters())
    head = list(model.heads[0].parameters())

    def main_loss(W1, b1, W2, b2):
        h = torch.relu(torch.nn.functional.linear(torch.relu(torch.nn.functional.linear(x, W1, b1)), W2, b2))
        return torch.nn.functional.binary_cross_entropy_with_logits(torch.nn.functional.linear(h, *head), ys[0])

    def hydaexact():
        losses = model.losses(x, ys)
        grads = task_grads(losses)
        with torch.no_grad():
            before = losses[0].detach()
            gains = torch.stack([before - main_loss(*[p - lr * g for p, g in zip(trunk, grads[k][:n_shared])]) for k in range(K)])
        apply(grads, hydalearn_weights(gains))

    def pcgrad():
        grads = task_grads(model.losses(x, ys))
        S = flat_shared(grads)
        projected = S.clone()
        for i in range(K):
            for j in torch.randperm(K).tolist():
                if j == i:
                    continue
                dot = projected[i] @ S[j]
                if dot < 0:
                    projected[i] -= dot / (S[j] @ S[j]) * S[j]
        direction = projected.sum(0)
        offset = 0
        for i in range(n_shared):
            n = params[i].numel()
            params[i].grad = direction[offset:offset + n].view_as(params[i])
            offset += n
        for i in range(n_shared, len(params)):
            params[i].grad = next(g[i] for g in grads if g[i] is not None)
        opt.step()

    def cagrad(c=0.5, iters=50):
        grads = task_grads(model.losses(x, ys))
        S = flat_shared(grads)
        G = (S @ S.T).double()
        g0_norm = torch.sqrt(G.mean())
        phi_root = c * g0_norm
        w = torch.full((K,), 1.0 / K, dtype=torch.float64)
        b = G.mean(1)
        for _ in range(iters):  # projected gradient on the simplex
            gw_norm = torch.sqrt(w @ G @ w + 1e-12)
            grad = b + phi_root * (G @ w) / gw_norm
            w = w - 0.1 * grad / (grad.abs().max() + 1e-12)
            u, _ = torch.sort(w, descending=True)
            css = torch.cumsum(u, 0) - 1
            rho = int((u - css / torch.arange(1, K + 1) > 0).nonzero().max())
            w = (w - css[rho] / (rho + 1)).clamp(min=0)
        lam = phi_root / torch.sqrt(w @ G @ w + 1e-12)
        apply(grads, (1.0 / K + lam * w) / (1 + c * c))

    return {"ew": ew, "multi": multi, "hyda1": hyda1, "hydaexact": hydaexact, "pcgrad": pcgrad, "cagrad": cagrad}[variant]


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
    ap.add_argument("--variants", default="ew,multi,hyda1,hydaexact,pcgrad,cagrad")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name in args.configs.split(","):
        B, D, H, K = CONFIGS[name]
        for variant in args.variants.split(","):
            model = Model(D, H, K)
            lr = 0.01
            opt = torch.optim.SGD(model.parameters(), lr=lr)
            x = torch.randn(B, D)
            ys = [torch.randint(0, 2, (B, 1)).float() for _ in range(K)]
            us = time_step(make_step(variant, model, opt, x, ys, lr), args.repetitions, args.min_time)
            print(json.dumps({"impl": "torch", "variant": variant, "config": f"B{B}_D{D}_H{H}_K{K}",
                              "threads": args.threads, "us": us}), flush=True)


if __name__ == "__main__":
    main()
