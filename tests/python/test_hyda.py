"""The Python module against independent references: the per-task gradients hyda.inspect
returns against central finite differences of a forward pass written here in numpy (and
against PyTorch's autograd where torch is installed), predict_csv against the numbers the
`hyda predict` command prints for the same model and CSV, and which inputs predict reads
in place and which it copies.

Usage: test_hyda.py HYDA_BINARY DATA_DIR, with the module's directory on PYTHONPATH
(ctest: python_module)."""
import gc
import json
import math
import os
import subprocess
import sys
import tempfile
import tracemalloc
import unittest

import numpy as np

import hyda
from predictions import prediction_columns, read_prediction_csv

HYDA_BINARY = DATA_DIR = None

try:
    import torch
except ImportError:
    torch = None

TASKS = [("main", "binary"), ("level", "regression"), ("grade", "multiclass", 3)]


def small_problem(rows=40, inputs=5, seed=0):
    """Encoded rows and labels of the three TASKS, some labels missing."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, inputs))
    score = x @ rng.normal(size=inputs)
    labels = {
        "main": (score > 0).astype(np.float64),
        "level": score + 0.3 * rng.normal(size=rows),
        "grade": np.digitize(score, [-0.5, 0.5]).astype(np.float64),
    }
    labels["main"][::7] = np.nan
    labels["level"][1::5] = np.nan
    return x, labels


def relu(v):
    return np.maximum(v, 0)


def task_losses(params, x, labels, shared):
    """The three task losses of an hps model (x @ W + b, ReLU after every trunk layer,
    one linear output layer per task), each a mean over the task's labelled rows:
    BCE with logits, plain MSE, softmax cross-entropy, as docs/python.md states."""
    h = x
    for i in range(0, len(shared), 2):
        h = relu(h @ params[shared[i]] + params[shared[i + 1]])
    out = {}
    for name, kind, *_ in TASKS:
        z = h @ params[name + ".out.W"] + params[name + ".out.b"]
        y = labels[name]
        m = ~np.isnan(y)
        if kind == "binary":
            zz = z[m, 0]
            out[name] = np.mean(np.maximum(zz, 0) - zz * y[m] + np.log1p(np.exp(-np.abs(zz))))
        elif kind == "regression":
            out[name] = np.mean((z[m, 0] - y[m]) ** 2)
        else:
            zz = z[m]
            zz = zz - zz.max(axis=1, keepdims=True)
            logp = zz - np.log(np.exp(zz).sum(axis=1, keepdims=True))
            out[name] = -np.mean(logp[np.arange(len(zz)), y[m].astype(int)])
    return [out[name] for name, *_ in TASKS]


class Gradients(unittest.TestCase):
    """inspect's losses and per-task gradients of the shared parameters, float64."""

    @classmethod
    def setUpClass(cls):
        cls.x, cls.labels = small_problem()
        cls.model = hyda.train(cls.x, cls.labels, tasks=TASKS, epochs=2, batch_size=16, trunk=[6, 4],
                               precision="float64", seed=3)
        cls.params = cls.model.parameters()
        cls.report = cls.model.inspect(cls.x, cls.labels)
        cls.shared = cls.report["shared_parameters"]

    def test_losses_and_gram(self):
        r = self.report
        self.assertEqual(self.shared, ["trunk0.W", "trunk0.b", "trunk1.W", "trunk1.b"])
        self.assertEqual(r["shared_shapes"], [(5, 6), (1, 6), (6, 4), (1, 4)])
        np.testing.assert_allclose(r["losses"], task_losses(self.params, self.x, self.labels, self.shared), rtol=1e-12)
        g = r["task_gradients"]
        self.assertEqual(g.shape, (3, 5 * 6 + 6 + 6 * 4 + 4))
        np.testing.assert_allclose(r["gram"], g @ g.T, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(r["grad_norms"], np.linalg.norm(g, axis=1), rtol=1e-12)
        self.assertEqual(r["coefficients"].shape, (3,))
        self.assertEqual(r["gains"].shape, (3,))  # HydaLearn's gains for the main task

    def test_task_gradients_against_finite_differences(self):
        h = 1e-6
        expected = []
        for k in range(3):
            row = []
            for name in self.shared:
                p = self.params[name]
                for i in np.ndindex(p.shape):
                    saved = p[i]
                    p[i] = saved + h
                    up = task_losses(self.params, self.x, self.labels, self.shared)[k]
                    p[i] = saved - h
                    down = task_losses(self.params, self.x, self.labels, self.shared)[k]
                    p[i] = saved
                    row.append((up - down) / (2 * h))
            expected.append(row)
        np.testing.assert_allclose(self.report["task_gradients"], np.array(expected), rtol=1e-5, atol=1e-8)

    @unittest.skipIf(torch is None, "PyTorch is not installed: the gradients are checked by finite differences only")
    def test_task_gradients_against_pytorch(self):
        p = {n: torch.tensor(v, dtype=torch.float64, requires_grad=n in self.shared) for n, v in self.params.items()}
        x = torch.tensor(self.x)
        h = x
        for i in range(0, len(self.shared), 2):
            h = torch.relu(h @ p[self.shared[i]] + p[self.shared[i + 1]])
        rows = []
        for name, kind, *_ in TASKS:
            z = h @ p[name + ".out.W"] + p[name + ".out.b"]
            y = torch.tensor(self.labels[name])
            m = ~torch.isnan(y)
            if kind == "binary":
                loss = torch.nn.functional.binary_cross_entropy_with_logits(z[m, 0], y[m])
            elif kind == "regression":
                loss = torch.nn.functional.mse_loss(z[m, 0], y[m])
            else:
                loss = torch.nn.functional.cross_entropy(z[m], y[m].long())
            grads = torch.autograd.grad(loss, [p[n] for n in self.shared], retain_graph=True)
            rows.append(torch.cat([g.reshape(-1) for g in grads]).numpy())
        np.testing.assert_allclose(self.report["task_gradients"], np.array(rows), rtol=1e-10, atol=1e-13)


class AgainstTheCommand(unittest.TestCase):
    """A model trained by `hyda train`: predict_csv and evaluate give the command's numbers."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="hyda_python_test_")
        cls.csv = os.path.join(DATA_DIR, "lending_club.csv")
        cls.model_path = os.path.join(cls.dir.name, "lending.model")
        subprocess.run([HYDA_BINARY, "train", "--data", cls.csv, "--main", "Class=bad", "--aux", "int_rate:regression",
                        "--aux", "sub_grade:multiclass", "--epochs", "1", "--trunk", "16", "--quiet", "--out", cls.model_path],
                       check=True, stdout=subprocess.DEVNULL)
        cls.model = hyda.load(cls.model_path)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_predict_csv_equals_hyda_predict(self):
        out = os.path.join(self.dir.name, "predict.csv")
        subprocess.run([HYDA_BINARY, "predict", "--model", self.model_path, "--data", self.csv, "--out", out], check=True)
        header, expected = read_prediction_csv(out)
        names, got = prediction_columns(self.model, self.model.predict_csv(self.csv))
        self.assertEqual(header, ["row"] + names)
        np.testing.assert_array_equal(expected[:, 0], np.arange(len(got)))
        np.testing.assert_array_equal(got, expected[:, 1:])  # exactly

    def test_encoded_rows_predict_the_same(self):
        x, labels = self.model.encode_csv(self.csv)
        self.assertEqual(x.dtype, np.float32)
        self.assertEqual(x.shape[1], self.model.inputs)
        self.assertEqual(len(self.model.input_names), self.model.inputs)
        for name, p in self.model.predict(x).items():
            np.testing.assert_array_equal(p, self.model.predict_csv(self.csv)[name])

    def test_evaluate_equals_hyda_eval(self):
        result = subprocess.run([HYDA_BINARY, "eval", "--model", self.model_path, "--data", self.csv, "--json"],
                                check=True, capture_output=True, text=True)
        expected = json.loads(result.stdout)["tasks"]
        got = self.model.evaluate(*self.model.encode_csv(self.csv))
        self.assertEqual(set(got), set(expected))
        for task, metrics in got.items():
            for name, value in metrics.items():
                self.assertEqual(value, expected[task][name], f"{task} {name}")

    def test_damaged_files_are_data_errors_naming_them(self):
        truncated = os.path.join(self.dir.name, "truncated.model")
        with open(self.model_path, "rb") as f, open(truncated, "wb") as g:
            g.write(f.read()[:100])
        for path in (truncated, self.csv, os.path.join(self.dir.name, "missing.model")):
            with self.assertRaises(hyda.DataError) as e:
                hyda.load(path)
            self.assertIn(path, str(e.exception))
        self.assertTrue(issubclass(hyda.DataError, ValueError))


class Copies(unittest.TestCase):
    """Which arrays predict reads in place (numpy's allocations are traced by tracemalloc;
    hyda's own are not, so a traced peak the size of x is a copy of x)."""

    @classmethod
    def setUpClass(cls):
        x, labels = small_problem(rows=64)
        cls.model32 = hyda.train(x.astype(np.float32), labels, tasks=TASKS, epochs=1, trunk=[8])
        cls.model64 = hyda.train(x, labels, tasks=TASKS, epochs=1, trunk=[8], precision="float64")
        cls.x = np.random.default_rng(1).normal(size=(200_000, 5)).astype(np.float32)

    def traced_peak(self, f):
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            result = f()
            return result, tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()

    def test_the_models_dtype_c_contiguous_is_read_in_place(self):
        size = self.x.nbytes
        in_place, peak = self.traced_peak(lambda: self.model32.predict(self.x))
        self.assertLess(peak, size / 4)
        for converted in (self.x.astype(np.float64), np.asfortranarray(self.x)):  # another dtype, another layout
            other, peak = self.traced_peak(lambda: self.model32.predict(converted))
            self.assertGreaterEqual(peak, size)
            for name in in_place:
                np.testing.assert_array_equal(other[name], in_place[name])
        x64 = self.x.astype(np.float64)
        _, peak = self.traced_peak(lambda: self.model64.predict(x64))
        self.assertLess(peak, size / 4)
        _, peak = self.traced_peak(lambda: self.model64.predict(self.x))
        self.assertGreaterEqual(peak, x64.nbytes)

    def test_outputs_are_handed_over_and_outlive_the_model(self):
        model = hyda.train(*small_problem(), tasks=TASKS, epochs=1, trunk=[4])
        out = model.predict(self.x[:10])
        self.assertEqual(out["main"].shape, (10,))
        self.assertEqual(out["grade"].shape, (10, 3))
        self.assertFalse(out["main"].flags.owndata)  # the array took hyda's vector over
        expected = {k: v.copy() for k, v in out.items()}
        del model
        gc.collect()
        for name in out:
            np.testing.assert_array_equal(out[name], expected[name])

    def test_bad_inputs_are_value_errors(self):
        with self.assertRaisesRegex(ValueError, r"shape \(rows, 5\), got \(3, 4\)"):
            self.model32.predict(np.zeros((3, 4), np.float32))
        with self.assertRaisesRegex(ValueError, "no preprocessing"):
            self.model32.predict_csv(os.path.join(DATA_DIR, "lending_club.csv"))
        with self.assertRaisesRegex(ValueError, "no task 'nope'"):
            self.model32.evaluate(self.x[:4], {"nope": np.zeros(4)})
        with self.assertRaisesRegex(ValueError, "unknown weighting strategy .nope."):
            hyda.train(self.x[:8], {"main": np.ones(8)}, tasks=[("main", "binary")], method="nope")


class SaveAndLoad(unittest.TestCase):
    def test_a_saved_model_loads_and_predicts_the_same(self):
        x, labels = small_problem()
        model = hyda.train(x, labels, tasks=TASKS, epochs=3, trunk=[8], seed=5, validation=(x, labels))
        self.assertEqual(len(model.history), 3)
        self.assertEqual([t["name"] for t in model.tasks], ["main", "level", "grade"])
        self.assertEqual(model.tasks[2]["classes"], ["0", "1", "2"])
        with tempfile.TemporaryDirectory(prefix="hyda_python_test_") as d:
            path = os.path.join(d, "m.model")
            model.save(path)
            loaded = hyda.load(path)
        self.assertEqual(loaded.precision, "float32")
        for name, p in model.predict(x).items():
            np.testing.assert_array_equal(loaded.predict(x)[name], p)
        for task, metrics in model.evaluate(x, labels).items():
            for name, value in metrics.items():
                self.assertTrue(value is None or math.isfinite(value), f"{task} {name}")


if __name__ == "__main__":
    HYDA_BINARY, DATA_DIR = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
