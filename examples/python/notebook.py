"""hyda from Python, as cells of a notebook (docs/python.md). Runs in a few seconds:

    PYTHONPATH=build/python python3 examples/python/notebook.py
    PYTHONPATH=build/python python3 examples/python/notebook.py lending.model examples/data/lending_club.csv

1. Train on numpy arrays: a main task labelled on few rows, a related auxiliary task and
   an unrelated one; HydaLearn against equal weights on held-out rows.
2. Look inside one step: the task losses, the Gram matrix of the per-task gradients of the
   shared parameters, HydaLearn's gains and weights, and the gradients unflattened into
   the shapes of the parameters, ready to put next to PyTorch's `param.grad`.
3. With MODEL and CSV (a model `hyda train` saved, e.g.
       hyda train --data examples/data/lending_club.csv --main Class=bad \\
           --aux int_rate:regression --aux sub_grade:multiclass --epochs 3 --out lending.model):
   its predictions for the CSV (the numbers `hyda predict` prints) and one step inspected
   on the CSV's rows, encoded as the model sees them.
"""
import sys

import numpy as np

import hyda

# %% 1. Train on numpy arrays
rng = np.random.default_rng(0)
rows, inputs = 3000, 12
x = rng.normal(size=(rows, inputs)).astype(np.float32)
latent = x @ rng.normal(size=inputs)
labels = {
    "main": (latent + 0.5 * rng.normal(size=rows) > 0).astype(np.float32),
    "related": (latent + 0.8 * rng.normal(size=rows) > 0).astype(np.float32),
    "noise": (rng.random(rows) < 0.5).astype(np.float32),
}
labels["main"][rng.random(rows) > 0.15] = np.nan  # the main task is labelled on 15% of the rows
tasks = [("main", "binary"), ("related", "binary"), ("noise", "binary")]
train, valid, test = np.arange(0, 1800), np.arange(1800, 2400), np.arange(2400, rows)


def part(index):
    return x[index], {name: y[index] for name, y in labels.items()}


test_labels = dict(part(test)[1], main=(latent[test] > 0).astype(np.float32))  # every test row labelled
models = {}
for method in ("hydalearn", "equal"):
    model = models[method] = hyda.train(*part(train), tasks=tasks, method=method, epochs=15, batch_size=64, trunk=[32, 32],
                       validation=part(valid), patience=5, seed=1)
    auc = model.evaluate(x[test], test_labels)["main"]["roc_auc"]
    print(f"{method:>9}: main-task test ROC AUC {auc:.4f} after {len(model.history)} epochs")

# %% 2. One step inside HydaLearn
batch = models["hydalearn"].inspect(*part(train), rows=np.arange(64), method="hydalearn")
g = batch["task_gradients"]  # tasks x shared parameters, flattened
norms = np.sqrt(np.diag(batch["gram"]))
print("losses      ", np.round(batch["losses"], 4))
print("cosines     \n", np.round(batch["gram"] / np.outer(norms, norms), 3))
print("gains       ", batch["gains"])
print("weights     ", np.round(batch["coefficients"], 4))

# The main task's gradient per shared parameter, shaped like the parameter (a layer is
# x @ W + b, so W is inputs x outputs: PyTorch's nn.Linear.weight transposed).
offset, per_parameter = 0, {}
for name, shape in zip(batch["shared_parameters"], batch["shared_shapes"]):
    size = shape[0] * shape[1]
    per_parameter[name] = g[0, offset:offset + size].reshape(shape)
    offset += size
print("main-task gradient of", ", ".join(f"{n} {a.shape}" for n, a in per_parameter.items()))

# %% 3. A model `hyda train` saved, on a CSV
if len(sys.argv) == 3:
    saved = hyda.load(sys.argv[1])
    print(saved)
    predictions = saved.predict_csv(sys.argv[2])  # {task: (rows,) or (rows, classes)}
    for t in saved.tasks:
        p = predictions[t["name"]][:3]
        shown = [t["classes"][i] for i in p.argmax(axis=1)] if t["kind"] == "multiclass" else np.round(p, 4).tolist()
        print(f"{t['name']} ({t['kind']}), first rows: {shown}")
    cx, clabels = saved.encode_csv(sys.argv[2])
    step = saved.inspect(cx, clabels, rows=np.arange(256))
    print("one step on the CSV's first 256 rows: losses", np.round(step["losses"], 4), "weights", np.round(step["coefficients"], 4))
