"""Issue 12's acceptance check: `hyda predict`, the C example (examples/c/predict.c) and the
Python module's predict_csv give the same numbers, exactly, for a model `hyda train`
trained on examples/data/lending_club.csv (binary, regression and multiclass tasks).

Usage: predictions_agree.py HYDA_BINARY C_EXAMPLE DATA_DIR, with the module's directory on
PYTHONPATH (ctest: predictions_agree)."""
import os
import subprocess
import sys
import tempfile

import numpy as np

import hyda
from predictions import prediction_columns, read_prediction_csv


def main(hyda_binary, c_example, data_dir):
    data = os.path.join(data_dir, "lending_club.csv")
    with tempfile.TemporaryDirectory(prefix="hyda_predictions_agree_") as d:
        model = os.path.join(d, "lending.model")
        subprocess.run([hyda_binary, "train", "--data", data, "--main", "Class=bad", "--aux", "int_rate:regression",
                        "--aux", "sub_grade:multiclass", "--epochs", "2", "--trunk", "32,16", "--quiet", "--out", model],
                       check=True, stdout=subprocess.DEVNULL)
        by_command, by_c = os.path.join(d, "command.csv"), os.path.join(d, "c.csv")
        subprocess.run([hyda_binary, "predict", "--model", model, "--data", data, "--out", by_command], check=True)
        with open(by_c, "w") as out:
            subprocess.run([c_example, model, data], check=True, stdout=out)
        header, expected = read_prediction_csv(by_command)
        c_header, c_values = read_prediction_csv(by_c)
        loaded = hyda.load(model)
        names, python_values = prediction_columns(loaded, loaded.predict_csv(data))

    failures = []
    if c_header != header:
        failures.append(f"the C example's header differs: {c_header[:4]}... against {header[:4]}...")
    if ["row"] + names != header:
        failures.append(f"the Python columns differ: {names[:3]}... against {header[1:4]}...")
    if c_values.shape != expected.shape or not np.array_equal(c_values, expected):
        failures.append("the C example's numbers differ from hyda predict's")
    if python_values.shape != expected[:, 1:].shape or not np.array_equal(python_values, expected[:, 1:]):
        failures.append("the Python module's numbers differ from hyda predict's")
    for f in failures:
        print("predictions_agree:", f)
    if failures:
        return 1
    print(f"predictions agree: {expected.shape[0]} rows x {expected.shape[1] - 1} values, hyda predict = C example = Python")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
